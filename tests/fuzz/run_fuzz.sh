#!/bin/bash
# Runs the trace fuzzer for RP_FUZZ_SECONDS (default 60) from the committed
# seeds; any crash, sanitizer report or leak fails. New inputs go to a
# temporary corpus, never into the source tree. Usage: run_fuzz.sh FUZZER SEEDS
set -u -o pipefail
fuzzer=$1 seeds=$2
if [ "${RP_HAVE_CLANG:-0}" != 1 ] || [ ! -x "$fuzzer" ]; then
    if [ "${CI:-}" = true ]; then
        echo "FAIL: the fuzz target was not built (clang++ and libclang-rt-14-dev are needed)" >&2
        exit 1
    fi
    echo "SKIP: no clang++: fuzz target not built" >&2
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/rp-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
# Crash reproducers land in $work too; keep them where a failing run shows them.
TMPDIR=$work "$fuzzer" -max_total_time="${RP_FUZZ_SECONDS:-60}" -max_len=65536 -timeout=30 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work/corpus" "$seeds" 2>"$work/log"
status=$?
tail -25 "$work/log"
if [ "$status" -ne 0 ]; then
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [ -e "$a" ] || continue
        mkdir -p /tmp/rp-fuzz-artifacts && cp "$a" /tmp/rp-fuzz-artifacts/
        echo "reproducer kept: /tmp/rp-fuzz-artifacts/$(basename "$a")" >&2
    done
    echo "FAIL: the fuzz target found a problem (status $status)" >&2
    exit 1
fi
echo PASS
