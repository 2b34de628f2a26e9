#!/bin/bash
# Every eBPF program of rp costs the verifier at most 100,000 processed
# instructions (a tenth of its limit): rp_sys_exit once took 468,000, most of
# rp's start-up (record/bpf/rp_rules_bpf.h says how the walks stay cheap).
. "$(dirname "$0")/lib.sh"
require_bpf

cost=$(dirname "$RP")/tests/bpf/verifier_cost
"$cost" 100000 >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/out"; show "$TMP/err"; fail "verifier cost"; }
cat "$TMP/out"
grep -q "rp_sys_exit: [0-9]* insns processed" "$TMP/out" || fail "no cost reported for rp_sys_exit"
echo PASS
