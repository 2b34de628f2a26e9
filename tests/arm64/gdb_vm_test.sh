#!/bin/bash
# gdb on an arm64 replay: boots the arm64 VM (as run_vm_test.sh does) with a
# user-mode network; the guest (guest_gdb.sh) records check_secret and runs
# `rp replay --gdb-port`, reached from the host through a QEMU hostfwd.
# gdb-multiarch on the host single-steps at the start, breaks in check(),
# goes back to the start and forward again, prints the secret, shows the
# backtrace, single-steps forwards and back, continues to the end of the recording, goes back
# with reverse-continue to the same breakpoint and the same secret, watches
# the global check_secret writes (a hardware watchpoint, NT_ARM_HW_WATCH):
# reverse-continue to the write seen backwards (stopped on the store, the old
# value back), continue through it forwards, a read watchpoint on the read in
# main, and lets the replay finish. Needs its own boot (~1-3 min under TCG),
# not the whole arm64_vm run.
#
# usage: gdb_vm_test.sh --build HOST_BUILD_DIR [--keep]
# Exit 77 (skipped) if a tool is missing, unless CI=true: then 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
TEST=arm64_gdb_vm
. "$here/vm_lib.sh"
parse_vm_args "$@"
[ -d "$build" ] || skip "no build directory given (--build)"
need_tools qemu-system-aarch64 aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ cpio apt-get dpkg-deb \
  gdb-multiarch python3
build=$(cd "$build" && pwd)
cross_build "$build"
fail() { echo "FAIL $TEST: $*"; exit 1; }

work=$(mktemp -d /tmp/rp-arm64-gdb.XXXXXX)
qpid=""
cleanup() {
  [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
  [ $keep = 1 ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
make_root "$root"
sample=$xbuild/samples/sample_check_secret_static  # with its symbols, for gdb too
cp "$sample" "$root/samples/check_secret"
mkdir -p "$root/modules"
kernel=$(ls "$sysroot"/boot/vmlinuz-* | head -1)
kver=${kernel##*/vmlinuz-}
for m in net/core/failover drivers/net/net_failover drivers/virtio/virtio_mmio \
         drivers/net/virtio_net; do
  cp "$sysroot/lib/modules/$kver/kernel/$m.ko" "$root/modules/" || fail "no module $m.ko"
done
cp "$here/guest_gdb.sh" "$root/init"
chmod +x "$root/init"
pack_root "$root" "$work/initramfs.cpio.gz"

serial=$work/serial.txt
limit=${RP_ARM64_GDB_TIMEOUT:-900}
start=$(date +%s)
# boot_vm: QEMU in the background (qpid), its forward on a free port of the
# host's loopback (port). Another process may take the port between the pick
# and QEMU's bind: QEMU then fails at once, and boot_vm picks another.
boot_vm() {
  local try
  for try in 1 2 3; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    : > "$serial"
    timeout "$limit" qemu-system-aarch64 -M virt -cpu max -accel tcg -m 1G -smp 1 \
      -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:2345" -device virtio-net-device,netdev=n0 \
      -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
      -append "console=ttyAMA0 panic=-1 rdinit=/init quiet loglevel=4" \
      -nographic -no-reboot -monitor none -serial "file:$serial" > "$work/qemu.log" 2>&1 &
    qpid=$!
    # QEMU sets the forward up before it runs the guest, which prints at once.
    until [ -s "$serial" ] || ! kill -0 "$qpid" 2>/dev/null; do sleep 1; done
    grep -q "forwarding" "$work/qemu.log" || return 0
    wait "$qpid"
  done
  cat "$work/qemu.log"
  fail "QEMU could not forward a port"
}
boot_vm

guest() { tr -d '\r' < "$serial"; }
# The guest says when rp listens; no fixed delay (TCG speed varies with load).
until guest | grep -q "^RP-GDB-READY"; do
  kill -0 "$qpid" 2>/dev/null || { guest | tail -n 30; fail "the guest stopped before rp listened"; }
  sleep 1
done
secret=$(guest | sed -n 's/^RP-GDB-RECORD status [0-9]* output secret=\([0-9]*\).*/\1/p')
[ -n "$secret" ] || { guest | tail -n 30; fail "the recording printed no secret"; }

cat > "$work/s.gdb" <<GDB
set pagination off
set confirm off
set width 0
set sysroot
file $sample
target remote 127.0.0.1:$port
stepi
break check
continue
reverse-continue
continue
print secret
bt
stepi
x/i \$pc
reverse-stepi
x/i \$pc
continue
reverse-continue
print secret
info registers pc
print \$v0.d.u[0] == \$v0.d.u[0]
watch last_secret
reverse-continue
print last_secret
x/i \$pc
continue
print last_secret
continue
rwatch last_secret
continue
delete
continue
continue
GDB
# gdb gets as long as the VM has left; past its script it quits.
HOME=$work DEBUGINFOD_URLS= timeout "$limit" gdb-multiarch -batch -nx -x "$work/s.gdb" \
  < /dev/null > "$work/gdb.out" 2>&1
gdb_rc=$?
wait "$qpid"
qrc=$?
qpid=""
elapsed=$(( $(date +%s) - start ))
sed 's/^/  gdb| /' "$work/gdb.out"
guest | grep -E "^(RP-GDB|  \|)"
[ $qrc = 124 ] && fail "the guest did not finish within $limit s"
guest | grep -q "^RP-GDB-VM-DONE" || fail "the guest stopped early (qemu exit $qrc)"

# assert_in_order FILE REGEX...: each extended regex on a later line than the previous.
assert_in_order() {
  local file=$1 after=0 re n
  shift
  for re in "$@"; do
    n=$(tail -n "+$((after + 1))" "$file" | grep -n -E -m1 -- "$re" | cut -d: -f1)
    [ -n "$n" ] || fail "'$re' not found in the gdb output after line $after"
    after=$((after + n))
  done
}
# Without rp's Z2/Z3/Z4 gdb cannot insert them (it does not fall back).
grep -q "Could not insert hardware" "$work/gdb.out" && fail "gdb could not insert a hardware watchpoint"
status=$(guest | sed -n 's/^RP-GDB-RECORD status \([0-9]*\).*/\1/p')
assert_in_order "$work/gdb.out" \
  "^Breakpoint 1, check \(secret=$secret\)" \
  "^No more reverse-execution history" \
  "^Breakpoint 1, check \(secret=$secret\)" \
  "^\\\$1 = $secret\$" \
  "^#1 .* in main \(\) at .*check_secret.c" \
  "=> 0x[0-9a-f]+ <check\+4>:" \
  "=> 0x[0-9a-f]+ <check>:" \
  "^rp: end of the recording; the recorded program then exited with $status " \
  "^No more reverse-execution history" \
  "^Breakpoint 1, check \(secret=$secret\)" \
  "^\\\$2 = $secret\$" \
  "^pc +0x[0-9a-f]+ +0x[0-9a-f]+ <check(\+[0-9]+)?>" \
  "^\\\$3 = 1\$" \
  "^Hardware watchpoint 2: last_secret" \
  "^Hardware watchpoint 2: last_secret" \
  "^Old value = $secret\$" \
  "^New value = 0\$" \
  "^\\\$4 = 0\$" \
  "=> 0x[0-9a-f]+ <main\+[0-9]+>:[[:space:]]+st(l|u)?r[[:space:]]" \
  "^Hardware watchpoint 2: last_secret" \
  "^Old value = 0\$" \
  "^New value = $secret\$" \
  "^\\\$5 = $secret\$" \
  "^Breakpoint 1, check \(secret=$secret\)" \
  "^Hardware read watchpoint 3: last_secret" \
  "^Hardware read watchpoint 3: last_secret" \
  "^Value = $secret\$" \
  "^No more reverse-execution history" \
  "exited with code $(printf '0%o' "$status")\]"
guest | grep -q "^RP-GDB-REPLAY status $status output secret=$secret\$" ||
  fail "the replay's status and output differ from the recording's ($status, secret=$secret)"
# Going back from the breakpoint (reached after a step from the start) must
# find that position again in the re-run, not fall back to the start.
guest | grep -q "lost the current position" && fail "reverse execution lost its position"
[ $gdb_rc = 0 ] || fail "gdb-multiarch exited with $gdb_rc"
echo "PASS $TEST (${elapsed} s)"
