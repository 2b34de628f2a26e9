#!/bin/bash
# Clocks read through the vDSO (no syscall natively) must be recorded and
# replayed: replay prints exactly the recorded times, every time.
# Needs RP (the rp binary) and SAMPLES (the samples build directory).
set -u
RP=${RP:?path of rp}
SAMPLES=${SAMPLES:?samples build directory}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# record NAME CMD...: records CMD, replays it twice, compares the outputs.
record_and_replay() {
  local name=$1
  shift
  if ! "$RP" record -o "$tmp/$name.db" -- "$@" >"$tmp/$name.rec" 2>"$tmp/$name.rec.err"; then
    fail "$name: record failed: $(cat "$tmp/$name.rec.err")"
    return 1
  fi
  for i in 1 2; do
    if ! "$RP" replay "$tmp/$name.db" >"$tmp/$name.rep$i" 2>"$tmp/$name.rep$i.err"; then
      fail "$name: replay $i failed: $(cat "$tmp/$name.rep$i.err")"
      return 1
    fi
    cmp -s "$tmp/$name.rec" "$tmp/$name.rep$i" ||
      fail "$name: replay $i printed $(cat "$tmp/$name.rep$i"), recorded $(cat "$tmp/$name.rec")"
  done
  [ -s "$tmp/$name.rec" ] || fail "$name: printed nothing"
}

# dump_has NAME SYSCALL MIN: the trace holds at least MIN calls of SYSCALL.
dump_has() {
  local n
  n=$("$RP" dump "$tmp/$1.db" | grep -cE "\b$2\(")
  [ "$n" -ge "$3" ] || fail "$1: dump shows $n $2 calls, expected >= $3"
}

# Natively the clocks differ from run to run (else this test proves nothing).
for s in sample_vdso_time sample_vdso_time_static; do
  a=$("$SAMPLES/$s") b=$("$SAMPLES/$s")
  [ "$a" != "$b" ] || fail "$s prints the same twice natively"
done

for s in sample_vdso_time sample_vdso_time_static; do
  record_and_replay "$s" "$SAMPLES/$s" || continue
  dump_has "$s" clock_gettime 2
  dump_has "$s" gettimeofday 1
  dump_has "$s" time 1
  dump_has "$s" getcpu 1
done

# A real program, also as the target of a second execve (replay patches
# there too). No fork here: the unit test covers that the patch survives it.
record_and_replay date date +%s.%N && dump_has date clock_gettime 1
record_and_replay exec_date bash -c 'exec date +%s.%N' && dump_has exec_date clock_gettime 1

[ "$fails" -eq 0 ] && echo "PASS: vDSO clocks replay identically"
exit $((fails > 0))
