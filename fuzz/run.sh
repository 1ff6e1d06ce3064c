#!/usr/bin/env bash
# Run each libFuzzer target for a bounded time (issue 7 item 8).
#
#   fuzz/run.sh BUILD SECONDS TARGET...
#
# Seeds come from fuzz/corpus/TARGET (read only: the tree's seed corpus is
# never written); new inputs go to BUILD/fuzz-corpus/TARGET, a finding's
# input to BUILD/fuzz-findings/TARGET/ and the log to BUILD/fuzz-logs/.
# Prints the executions of each target; exits non-zero on any crash,
# sanitizer report, timeout or memory blow-up.  A finding replays with
#   BUILD/fuzz/TARGET BUILD/fuzz-findings/TARGET/crash-...
set -uo pipefail
build=$1
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
status=0
total=0
for t in "$@"; do
    bin=$build/fuzz/$t
    work=$build/fuzz-corpus/$t
    finds=$build/fuzz-findings/$t
    log=$build/fuzz-logs/$t.log
    mkdir -p "$work" "$finds" "$(dirname "$log")"
    dict=()
    [ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
    # -timeout: a single input that takes seconds is a finding (quadratic
    # or looping reader); -rss_limit_mb and -malloc_limit_mb: memory out of
    # proportion to a <= 64 KB input is one too.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$finds/" "${dict[@]}" \
        "$work" "$here/corpus/$t" > "$log" 2>&1
    rc=$?
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "fuzz: $t: ${n:-?} executions in $secs s, no finding"
        total=$((total + ${n:-0}))
    else
        echo "fuzz: $t: FINDING (exit $rc) after ${n:-?} executions; log $log, input in $finds/" >&2
        grep -m1 -E 'ERROR|SUMMARY|check failed|runtime error' "$log" >&2 || tail -5 "$log" >&2
        status=1
    fi
done
echo "fuzz: $total executions in all"
exit $status
