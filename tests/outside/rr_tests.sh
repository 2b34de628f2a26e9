#!/bin/bash
# Records and replays rr's own test programs (rr-debugger/rr, src/test/*.c),
# an outside set of small Linux programs that each print EXIT-SUCCESS, and
# says for each whether rp reproduces it: the measurement behind issue 13's
# figures (docs/hacking.md). Not part of the test suite: it needs an rr
# source tree (nothing of rr is in this repository) and takes about an hour.
#
#   tests/outside/rr_tests.sh RR_SRC WORK [BACKEND [NAME...]]
#
# RR_SRC: an rr checkout. WORK: a scratch directory (binaries, one directory
# per program, results.txt). BACKEND: bpf (default), ptrace or kmod. As root.
# Per program: a native run (10 s) must exit 0 and print EXIT-SUCCESS, else
# SKIP; `rp record -q --end-with-program` (60 s) must end the same (else
# RECFAIL) and `rp replay` (120 s) with the same status and stdout (else
# REPFAIL or STDOUT-DIFF).
set -u
[ $# -ge 2 ] || { echo "usage: $0 RR_SRC WORK [BACKEND [NAME...]]" >&2; exit 2; }
src=$(realpath "$1") work=$(realpath -m "$2") backend=${3:-bpf}
shift $(( $# >= 3 ? 3 : 2 ))
rp=${RP:-$(dirname "$0")/../../build/rp}
rp=$(realpath "$rp")
[ -x "$rp" ] || { echo "rp: no rp at $rp (set RP)" >&2; exit 2; }
mkdir -p "$work/bin" "$work/gen"
# rr's tests include a syscall-number header rr generates at build time.
gen=$work/gen/SyscallEnumsForTestsX64.generated
if [ ! -s "$gen" ]; then
  (cd "$src/src" && python3 generate_syscalls.py "$gen") ||
    { echo "rp: cannot generate $gen from $src/src" >&2; exit 2; }
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  # Programs with a .run script of their own check rr-specific behaviour.
  for c in "$src"/src/test/*.c; do
    n=$(basename "$c" .c)
    [ -e "$src/src/test/$n.run" ] || ! grep -q EXIT-SUCCESS "$c" || names+=("$n")
  done
fi
for n in "${names[@]}"; do
  [ -x "$work/bin/$n" ] || gcc -g -O0 -pthread -w -I"$src/src/test" -I"$src/include" -I"$work/gen" \
    -o "$work/bin/$n" "$src/src/test/$n.c" -ldl -lrt > /dev/null 2>&1 || echo "$n BUILDFAIL"
done | tee "$work/buildfail.txt"
out=$work/results-$backend.txt
: > "$out"
for n in "${names[@]}"; do
  [ -x "$work/bin/$n" ] || continue
  d=$work/run/$backend/$n
  # Each run in a directory of its own: some programs leave files behind.
  rm -rf "$d"; mkdir -p "$d/nat" "$d/w"; cd "$d/nat"
  timeout -k 2 10 "$work/bin/$n" > ../nat.out 2> ../nat.err < /dev/null; ns=$?
  if [ $ns -ne 0 ] || ! grep -q EXIT-SUCCESS ../nat.out; then
    echo "$n SKIP native=$ns" >> "$out"; continue
  fi
  cd "$d/w"
  # rr's programs expect rr's default: the recording ends with the program,
  # and what it left running (a sleeping child, a daemon) is killed.
  timeout -k 2 60 "$rp" record -q --end-with-program -b "$backend" -o "$d/t.db" -- "$work/bin/$n" \
    > ../rec.out 2> ../rec.err < /dev/null; rs=$?
  cd "$d"
  if [ $rs -ne $ns ] || ! grep -q EXIT-SUCCESS rec.out; then
    echo "$n RECFAIL rs=$rs $(grep -m1 '^rp:' rec.err | head -c 200)" >> "$out"; continue
  fi
  timeout -k 2 120 "$rp" replay "$d/t.db" > rep.out 2> rep.err < /dev/null; ps=$?
  if [ $ps -ne $rs ]; then echo "$n REPFAIL ps=$ps $(grep -m1 '^rp:' rep.err | head -c 250)" >> "$out"
  elif ! cmp -s rec.out rep.out; then echo "$n STDOUT-DIFF" >> "$out"
  else echo "$n PASS" >> "$out"; fi
  # Some programs leave children that never end (daemon, kill_ptracee).
  pkill -9 -f "^$work/bin/" 2>/dev/null
done
pass=$(grep -c ' PASS' "$out") skip=$(grep -c ' SKIP' "$out") total=$(wc -l < "$out")
echo "$pass of $((total - skip)) programs that pass natively reproduce under $backend ($out)"
