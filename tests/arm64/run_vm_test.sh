#!/bin/bash
# arm64 end to end: cross-builds rp and the samples (static; counter_lib
# dynamic, with its libraries) for aarch64
# (cmake/aarch64-linux-gnu.cmake over the sysroot tests/arm64/make_sysroot.sh
# makes), boots Debian's arm64 kernel under qemu-system-aarch64 (TCG) with an
# initramfs of busybox, rp and the samples, and inside records and replays
# every sample with each backend (ptrace, bpf and, with rp.ko cross-built
# against the guest kernel's headers, kmod): same output and exit status, 0
# lost records.
# The guest prints one PASS/FAIL line per check. tests/arm64/known_failures.txt
# lists, each with its reason, the checks that fail on arm64 ("fails": a pass
# means the list is stale and fails the test), those seen failing sometimes
# ("flaky") and the runs the guest skips ("skip"); every other check must pass.
#
# usage: run_vm_test.sh --build HOST_BUILD_DIR [--keep]
# The sysroot and the cross build live in HOST_BUILD_DIR/arm64-{sysroot,build}.
# Exit 77 (skipped) if a tool is missing, unless CI=true: then 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

TEST=arm64_vm
. "$here/vm_lib.sh"
parse_vm_args "$@"
[ -d "$build" ] || skip "no build directory given (--build)"
need_tools qemu-system-aarch64 aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ cpio apt-get dpkg-deb
build=$(cd "$build" && pwd)
cross_build "$build"

samples=$(sed -n 's/^  \([a-z0-9_]*\)$/\1/p' "$src/samples/CMakeLists.txt" | tr '\n' ' ')
# Dynamically linked samples (with their libraries and the loader and libc
# of the cross compiler): counter reads in code mapped after exec.
dynamic_samples="counter_lib"
samples="$samples $dynamic_samples"
all_samples=$samples
# RP_ARM64_SAMPLES="a b": only those (for a quick look; the test then fails).
samples=${RP_ARM64_SAMPLES:-$samples}
backends="ptrace"
[ -f "$xbuild/record/bpf/rp.skel.h" ] && backends="ptrace bpf"  # the eBPF backend was built
[ "$backends" = ptrace ] && [ "${CI:-}" = true ] &&
  { echo "FAIL arm64_vm: CI=true, but the arm64 eBPF backend was not built"; exit 1; }
# rp.ko, built against the guest kernel's headers (make_sysroot.sh fetches
# them), and the module's own test clients.
module=$xbuild/kmod/module/rp.ko
if [ -f "$module" ] && [ -x "$xbuild/kmod/kmod_selftest" ] && [ -x "$xbuild/kmod/kmod_switch_test" ]; then
  backends="$backends kmod"
elif [ "${CI:-}" = true ]; then
  echo "FAIL arm64_vm: CI=true, but the arm64 rp.ko (or its test clients) was not built"; exit 1
fi
all_backends=$backends
# RP_ARM64_BACKENDS="bpf": only those (with RP_ARM64_SAMPLES="threads threads"
# to run one sample again and again; the test then fails).
backends=${RP_ARM64_BACKENDS:-$backends}
kernel=$(ls "$sysroot"/boot/vmlinuz-* | head -1)

work=$(mktemp -d /tmp/rp-arm64-vm.XXXXXX)
[ $keep = 1 ] || trap 'rm -rf "$work"' EXIT
root=$work/root
make_root "$root"
if echo " $backends " | grep -q " kmod "; then
  cp "$module" "$root/rp.ko"
  cp "$xbuild/kmod/kmod_selftest" "$xbuild/kmod/kmod_switch_test" "$root/bin/"
  aarch64-linux-gnu-strip "$root/bin/kmod_selftest" "$root/bin/kmod_switch_test"
fi
for s in $samples; do
  if echo " $dynamic_samples " | grep -q " $s "; then
    cp "$xbuild/samples/sample_$s" "$root/samples/$s"
  else
    cp "$xbuild/samples/sample_${s}_static" "$root/samples/$s"
  fi
done
cp "$xbuild"/samples/lib*.so "$root/samples/"
# The memory check of the stub (guest_init.sh, memory_search): dynamic.
cp "$xbuild/samples/sample_memory_loop" "$root/samples/memory_loop"
# The ambiguous switch (guest_init.sh, ambiguous): dynamic too.
cp "$xbuild/samples/sample_spin_flag" "$root/samples/spin_flag"
mkdir -p "$root/lib/aarch64-linux-gnu"
cp /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 "$root/lib/"
cp /usr/aarch64-linux-gnu/lib/libc.so.6 "$root/lib/aarch64-linux-gnu/"
echo "$samples" > "$root/samples.list"
echo "$backends" > "$root/backends.list"
# RP_ARM64_GUEST_ENV="VAR=value ...": exported in the guest before every run
# (e.g. RP_POINT_SEARCH=breakpoint to time the search without the patched trap).
echo "${RP_ARM64_GUEST_ENV:-}" > "$root/guest.env"
# Runs the guest does not even try (too slow under TCG): "skip BACKEND_SAMPLE".
sed -n 's/^skip \([a-z0-9_]*\).*/\1/p' "$here/known_failures.txt" > "$root/skip.list"
cp "$here/guest_init.sh" "$root/init"
chmod +x "$root/init"
pack_root "$root" "$work/initramfs.cpio.gz"

serial=$work/serial.txt
limit=${RP_ARM64_VM_TIMEOUT:-2100}  # three backends: kmod adds 160-455 s under TCG (docs/design.md)
start=$(date +%s)
timeout "$limit" qemu-system-aarch64 -M virt -cpu max -accel tcg -m 1G -smp 1 -nic none \
  -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
  -append "console=ttyAMA0 panic=-1 rdinit=/init quiet loglevel=4" \
  -nographic -no-reboot -monitor none -serial "file:$serial" > "$work/qemu.log" 2>&1
qrc=$?
elapsed=$(( $(date +%s) - start ))

out=$(tr -d '\r' < "$serial")
echo "$out" | grep -E "^(PASS|FAIL|SKIP|TIME|INFO|RP-VM|  )"
[ $keep = 1 ] && echo "kept $work"
if [ $qrc = 124 ]; then echo "FAIL arm64_vm: the guest did not finish within $limit s"; exit 1; fi
if ! echo "$out" | grep -q "^RP-VM-DONE"; then
  echo "$out" | tail -n 40
  echo "FAIL arm64_vm: the guest stopped early (qemu exit $qrc)"
  exit 1
fi

list() { sed -n "s/^$1 \\([a-z0-9_]*\\).*/\\1/p" "$here/known_failures.txt"; }
must_fail=$(list fails) flaky=$(list flaky) skipped=$(list skip)
in_list() { echo "$1" | grep -qx "$2"; }
npass=0 nfail=0 nknown=0 nskip=0 bad=""
for name in $(echo "$out" | sed -n 's/^PASS //p'); do
  if in_list "$must_fail" "$name"; then bad="$bad $name(passes:take-it-off-the-list)"; nfail=$((nfail + 1))
  else npass=$((npass + 1)); fi
done
for name in $(echo "$out" | sed -n 's/^FAIL //p'); do
  if in_list "$must_fail" "$name" || in_list "$flaky" "$name"; then nknown=$((nknown + 1))
  else bad="$bad $name"; nfail=$((nfail + 1)); fi
done
for name in $(echo "$out" | sed -n 's/^SKIP //p'); do
  # SKIP record_ptrace_stress is allowed by the line "skip ptrace_stress".
  if in_list "$skipped" "${name#*_}"; then nskip=$((nskip + 1))
  else bad="$bad $name(skipped)"; nfail=$((nfail + 1)); fi
done
nsamples=$(echo $all_samples | wc -w)
nbackends=$(echo $all_backends | wc -w)
expected=$(( 3 * nsamples * nbackends ))
# With the module: kmod_insmod, kmod_selftest, kmod_switch_test_{on,off,ptrace},
# kmod_rmmod and kmod_dmesg too.
echo " $backends " | grep -q " kmod " && expected=$((expected + 7))
# With bpf: memory_search_bpf (the stub's memory check) and ambiguous_bpf.
echo " $backends " | grep -q " bpf " && expected=$((expected + 2))
total=$((npass + nfail + nknown + nskip))
echo "arm64_vm: $npass passed, $nfail failed, $nknown known failures, $nskip not run (${elapsed} s, backends: $backends)"
if [ $nfail != 0 ] || [ $total != $expected ]; then
  echo "FAIL arm64_vm: $total of $expected checks reported; unexpected:$bad"
  exit 1
fi
echo "PASS arm64_vm"
exit 0
