#!/bin/bash
# A recorder killed at any moment, a COMMIT's page writes included, leaves a
# trace that opens as "cut short", never as malformed (common/trace_recover.h).
# The recorded program reads /dev/urandom as fast as it can, so the writer
# commits every 32 MiB. Each round kills rp with SIGKILL: odd rounds after a
# random delay, even rounds as soon as the file is seen growing (a COMMIT
# writing its pages: the moment that tore traces). Every trace left must
# be shown by `rp info` and called cut short, and nothing else, by it and
# `rp check`. The
# test also counts the traces that were torn on disk (SQLite's quick_check of
# the file alone, ignoring the journal): those are what a reader without the
# journal's playback called malformed.
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-16}
torn=0
for round in $(seq "$ROUNDS"); do
    d="$TMP/r$round"
    mkdir "$d"
    "$RP" record -q -b ptrace -o "$d/t.db" -- sh -c 'exec cat /dev/urandom' \
        >/dev/null 2>"$d/rec.err" </dev/null &
    rp_pid=$!
    part=
    for _ in $(seq 300); do
        part=$(ls "$d"/.t.db.rp-* 2>/dev/null | grep -v -- -journal | head -1)
        # Past the first COMMITs (schema, metadata, first data).
        [ -n "$part" ] && [ "$(stat -c %s "$part")" -gt 4000000 ] && break
        sleep 0.05
    done
    [ -n "$part" ] || { kill -KILL "$rp_pid"; fail "round $round: no trace file"; }
    if [ $((round % 2)) -eq 1 ]; then
        sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
    else
        size=$(stat -c %s "$part")
        for _ in $(seq 2000); do
            now=$(stat -c %s "$part")
            [ "$now" != "$size" ] && break
        done
    fi
    kill -KILL "$rp_pid"
    wait "$rp_pid" 2>/dev/null
    sqlite3 "file:$part?immutable=1" "PRAGMA quick_check" >"$d/qc" 2>&1
    [ "$(cat "$d/qc")" = ok ] || torn=$((torn + 1))
    # rp info shows the trace, then says it is unhealthy: cut short.
    TMPDIR="$d" "$RP" info "$part" >"$d/info" 2>"$d/info.err"
    grep -q "^events: " "$d/info" || { show "$d/info.err"; fail "round $round: rp info showed nothing"; }
    [ "$(wc -l <"$d/info.err")" -eq 1 ] && grep -q "^rp: .*cut short" "$d/info.err" \
        || { show "$d/info.err"; fail "round $round: rp info does not say cut short"; }
    TMPDIR="$d" "$RP" check "$part" >"$d/check" 2>&1
    grep -q "cut short" "$d/check" || { show "$d/check"; fail "round $round: rp check does not say cut short"; }
    grep -qi "malformed\|not a usable" "$d/check" "$d/info.err" && { show "$d/check"; fail "round $round: malformed"; }
    [ "$(ls "$d" | grep -c rp-recover)" -eq 0 ] || fail "round $round: a recovery copy was left"
    rm -rf "$d"
done
note "$ROUNDS recorders killed, $torn of their traces torn on disk; all read as cut short"
echo PASS
