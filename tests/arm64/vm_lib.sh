# Sourced by the arm64 VM tests (run_vm_test.sh, gdb_vm_test.sh): the checks
# for the tools, the arm64 sysroot and the cross build of rp and the samples.
# The caller sets TEST (its name in PASS/FAIL/SKIP lines), src and here.

# parse_vm_args ARGS...: --build DIR (sets build) and --keep (sets keep=1).
parse_vm_args() {
  build="" keep=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --build) build=$2; shift 2 ;;
      --keep) keep=1; shift ;;
      *) echo "usage: $0 --build DIR [--keep]" >&2; exit 2 ;;
    esac
  done
}

# Exit 77 (skipped) if something is missing, unless CI=true: then a failure.
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL $TEST: cannot run: $*"; exit 1; fi
  echo "SKIP $TEST: $*"
  exit 77
}

# need_tools TOOL...: each must be installed (build.sh installs them).
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip "$tool not installed (build.sh installs it)"
  done
}

# cross_build HOST_BUILD_DIR: the sysroot in DIR/arm64-sysroot, rp and the
# samples cross-built in DIR/arm64-build. Sets sysroot and xbuild.
cross_build() {
  local build=$1 launcher=()
  "$here/make_sysroot.sh" "$build/arm64-sysroot" || { echo "FAIL $TEST: sysroot"; exit 1; }
  sysroot=$build/arm64-sysroot/sysroot
  xbuild=$build/arm64-build
  command -v ccache >/dev/null &&
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # CI=true would make configure fail over what the cross build leaves out
  # (rp dump -k: no libdw in the sysroot); run_vm_test.sh checks the eBPF
  # backend and rp.ko were built. Not niced: it is the start of the longest
  # QEMU test, which the whole suite waits for (build.sh test); niced beside
  # the host tests it took ~16 minutes instead of ~3.
  if ! { env -u CI cmake -S "$src" -B "$xbuild" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
           -DRP_ARM64_SYSROOT="$sysroot" -DRP_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
           "${launcher[@]}" > "$build/arm64-configure.log" 2>&1 &&
         cmake --build "$xbuild" -j2 > "$build/arm64-build.log" 2>&1; }; then
    tail -n 30 "$build/arm64-configure.log" "$build/arm64-build.log"
    echo "FAIL $TEST: the cross build failed (logs in $build/arm64-*.log)"
    exit 1
  fi
}

# make_root ROOT: busybox and the stripped static rp in ROOT/bin.
make_root() {
  mkdir -p "$1"/{bin,dev,proc,sys,tmp,samples}
  cp "$sysroot/bin/busybox" "$1/bin/busybox"
  cp "$xbuild/rp" "$1/bin/rp"  # static: no libraries to bring along
  aarch64-linux-gnu-strip "$1/bin/rp"
}

# pack_root ROOT OUT: ROOT as a gzipped initramfs.
pack_root() {
  (cd "$1" && find . | cpio -o -H newc --quiet) | gzip -1 > "$2"
}
