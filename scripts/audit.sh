#!/usr/bin/env bash
# The reliability audit of issue 7: every command must end within seconds
# with exit status 2, exactly one line on stderr naming the problem, and no
# half-written output.  Prints a table: exit status, seconds, stderr lines,
# the message.  Usage: scripts/audit.sh [BIN]   (default build/symrbm)
set -u
bin=$(realpath "${1:-build/symrbm}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
# a text sample file cut inside its first row (header says N=8)
printf '# N=8\n# B=2\n+1 -1 +1\n' > cut.txt
# a file with a NUL byte inside a row
printf '+1 -1 +1 -1\n+1 \000-1 +1 -1\n' > nul.txt
"$bin" theory --N 20 --T 1 --snapshots 2 --out th >/dev/null 2>&1
cmds=(
  "sim --N 256 --B 72057594037927936 --out o1"
  "sim --N 256 --B 100 --B-test 72057594037927936 --out o2"
  "sim --N 4 --M 576460752303423488 --model-term pcd --out o3"
  "threshold --Bmax 1e300 --out o4"
  "phase --N 3 --beta 15"
  "phase --N 20 --beta 1e10"
  "phase --N 20 --beta-max 1e300"
  "phase --N 20 --tol 1e-300 --scan 5"
  "sample --N 100 --B 1e15 --out o5.txt"
  "sim --mc-steps 1e12 --out o6"
  "sim --mc-steps 1e12 --model-term pcd --out o6b"
  "sim --epochs 288230376151711744 --batch 1 --B 64 --out o7"
  "phase --scan 1e15"
  "theory --rtol 1e-15 --atol 1e-300 --out o8"
  "sim --lr 1e10 --T 1e11 --out o9"
  "theory --init-scale 1e10 --out o10"
  "sim --data-file cut.txt --out o11"
  "sim --data-file nul.txt --out o12"
  "sim --N 20 --B 100 --T 0.5 --theory th --out o13"
)
printf '%-70s %4s %7s %5s  %s\n' command exit seconds lines message
for c in "${cmds[@]}"; do
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    timeout "${AUDIT_TIMEOUT:-60}" "$bin" $c >/dev/null 2>err.txt
    rc=$?
    t1=$(date +%s.%N)
    n=$(wc -l < err.txt)
    printf '%-70s %4d %7.2f %5d  %s\n' "$c" "$rc" "$(echo "$t1 - $t0" | bc)" "$n" "$(head -c 300 err.txt | head -n 1)"
done
