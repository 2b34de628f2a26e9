#!/bin/bash
# Under CI=true the configure step fails when an optional part (here the eBPF
# backend, then the kernel module) would be left out, instead of building
# without it and skipping its tests; without CI it only says so.
# Needs SRC (the source tree) and CMAKE (the cmake binary).
set -u -o pipefail
: "${SRC:?source tree}" "${CMAKE:?cmake}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rp-ci.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

configure() { # NAME CI_VALUE CMAKE_ARGS...: sets STATUS, output in $TMP/NAME.out
    local name=$1 ci=$2
    shift 2
    env CI="$ci" "$CMAKE" -S "$SRC" -B "$TMP/$name" -DRP_TESTS=OFF "$@" >"$TMP/$name.out" 2>&1
    STATUS=$?
}
expect_refused() { # NAME WHAT
    [ "$STATUS" -ne 0 ] || { cat "$TMP/$1.out" >&2; fail "$1: CI=true configure succeeded without $2"; }
    grep -q "rp: CI=true, but" "$TMP/$1.out" && grep -q "$2" "$TMP/$1.out" ||
        { cat "$TMP/$1.out" >&2; fail "$1: configure failed, but not naming $2"; }
}

no_btf=-DRP_VMLINUX_BTF=/nonexistent/vmlinux
configure nobpf_ci true "$no_btf"
expect_refused nobpf_ci "eBPF backend"
configure nobpf false "$no_btf"
[ "$STATUS" -eq 0 ] || { cat "$TMP/nobpf.out" >&2; fail "configure without CI and without BPF failed"; }
grep -q "rp: the eBPF backend is left out" "$TMP/nobpf.out" || fail "configure without BPF: not said"

configure nokmod_ci true -DRP_KVER=0.0-none
expect_refused nokmod_ci "rp.ko"
echo PASS
