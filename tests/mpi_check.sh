#!/usr/bin/env bash
# mpi_check.sh BIN: the MPI program (make mpi) against a local run, on one
# machine (SPEC.md 10, issue 11 item 4).  One small threshold sweep, run
#   1. locally with --jobs 2 (the reference),
#   2. under mpirun --oversubscribe -np 3 ... --mpi,
#   3. as a singleton (--mpi without mpirun),
#   4. as --list-tasks | --task ID processes (3 at once) plus a collecting run;
# every task's result.tsv and the summary files must equal the reference's
# (headers, wall_s and, for 4, tasks_run aside: they record how and how long
# it ran), and the directories must hold the same files.  A rerun of 2 must
# run nothing; 2 again with rank 2 killed mid-sweep, then rerun, must give
# the same files; the plain build must refuse --mpi.  Exit 0 when all agree.
set -euo pipefail
bin=${1:-build-mpi/symrbm}
[ -x "$bin" ] || { echo "mpi_check: no program $bin (make mpi)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=$(mktemp -d /tmp/symrbm_mpicheck.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Open MPI refuses to start as root without this (CI containers run as root)
root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
args=(threshold --data ising --N 30 --beta 0.4 --Bmin 10 --Bmax 200 --points 3 --seeds 3
      --T 10 --lr 0.01 --seed 5 --boot 200)

# the values of a file: no header lines, no wall_s, no tasks_run
vals() { grep -v '^#' "$1" | grep -v -e '^wall_s' -e '^tasks_run' || true; }

bad=0
same() { # same REF DIR: every file of REF's store equals DIR's
    local ref=$1 dir=$2 f
    if ! diff <(cd "$ref" && find . -type f ! -name symrbm.lock | sort) \
              <(cd "$dir" && find . -type f ! -name symrbm.lock | sort) >/dev/null; then
        echo "mpi_check: $dir: other files than $ref:" >&2
        diff <(cd "$ref" && find . -type f | sort) <(cd "$dir" && find . -type f | sort) >&2 || true
        bad=1
    fi
    for f in $(cd "$ref" && find . -name '*.tsv' | sort); do
        if ! cmp -s <(vals "$ref/$f") <(vals "$dir/$f"); then
            echo "mpi_check: $dir/$f differs from $ref/$f" >&2
            bad=1
        fi
    done
}

nice "$bin" "${args[@]}" --jobs 2 --out "$work/local"
nice mpirun "${root[@]}" --oversubscribe -np 3 "$bin" "${args[@]}" --mpi --out "$work/mpi"
same "$work/local" "$work/mpi"
grep -q '^tasks_run	9$' "$work/mpi/summary.tsv" || { echo "mpi_check: mpi run: tasks_run != 9" >&2; bad=1; }
# a rerun finds every task stored
nice mpirun "${root[@]}" --oversubscribe -np 3 "$bin" "${args[@]}" --mpi --out "$work/mpi"
grep -q '^tasks_run	0$' "$work/mpi/summary.tsv" || { echo "mpi_check: mpi rerun ran tasks" >&2; bad=1; }
nice "$bin" "${args[@]}" --mpi --out "$work/single"
same "$work/local" "$work/single"
"$bin" "${args[@]}" --list-tasks --out "$work/batch" > "$work/list"
[ "$(wc -l < "$work/list")" -eq 9 ] || { echo "mpi_check: --list-tasks: not 9 tasks" >&2; bad=1; }
xargs -P 3 -I{} nice "$bin" "${args[@]}" --out "$work/batch" --task {} < "$work/list"
nice "$bin" "${args[@]}" --out "$work/batch"
same "$work/local" "$work/batch"
# a rank killed mid-sweep (kill -9 of rank 2): Open MPI ends the job, the
# finished tasks stay stored, and a rerun completes the sweep with the same
# files
rm -rf "$work/mpi"
nice mpirun "${root[@]}" --oversubscribe -np 3 "$bin" "${args[@]}" --mpi --out "$work/mpi" \
    > "$work/kill.log" 2>&1 &
mp=$!
victim=
for _ in $(seq 400); do
    n=$( (find "$work/mpi/tasks" -name result.tsv 2>/dev/null || true) | wc -l)
    for p in $(pgrep -P $mp || true); do
        if tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=2'; then
            victim=$p
        fi
    done
    [ -n "$victim" ] && [ "$n" -ge 2 ] && break
    sleep 0.05
done
if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then
    wait $mp && { echo "mpi_check: mpirun ignored a killed rank" >&2; bad=1; } || true
    echo "mpi_check: killed rank 2 with $(find "$work/mpi/tasks" -name result.tsv | wc -l) of 9 tasks stored"
else
    wait $mp || true
    echo "mpi_check: the sweep ended before rank 2 could be killed"
fi
nice mpirun "${root[@]}" --oversubscribe -np 3 "$bin" "${args[@]}" --mpi --out "$work/mpi"
same "$work/local" "$work/mpi"
# the plain program (if built) refuses --mpi with exit status 2
plain=$(dirname "$bin")/../build/symrbm
if [ -x "$plain" ]; then
    st=0
    "$plain" "${args[@]}" --mpi --out "$work/plain" 2> "$work/plain.err" || st=$?
    if [ $st -ne 2 ] || ! grep -q "built without MPI" "$work/plain.err"; then
        echo "mpi_check: the plain build took --mpi (status $st)" >&2
        bad=1
    fi
fi
if [ $bad -eq 0 ]; then
    echo "mpi_check: mpirun -np 3, singleton and --task runs agree with --jobs 2"
fi
exit $bad
