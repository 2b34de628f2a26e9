#!/bin/bash
# The recorded program runs in a process group of its own (its kill(0, sig)
# and job-control stops of its group do not reach rp: conformance kill_group,
# job_control), but does not lead it, as when a script starts it: its own
# setsid() then succeeds as it does there, and replay shows the same.
. "$(dirname "$0")/lib.sh"

SETSID='use POSIX; my $s = POSIX::setsid();
print defined($s) && $s > 0 ? "setsid ok\n" : "setsid failed: $!\n";
print getpgrp() == $$ ? "leads its group\n" : "does not lead its group\n";'

run "$TMP/native" "$TMP/native.err" perl -e "$SETSID"
assert_eq "$(head -1 "$TMP/native")" "setsid ok" "native run (a script's child)"
find_backends
for b in "${backends[@]}"; do
    RP_BACKEND=$b record "setsid_$b" perl -e "$SETSID"
    assert_eq "$REC_STATUS" 0 "$b: rp record exit status"
    assert_same_file "$TMP/native" "$TMP/setsid_$b.rec" "$b: recorded output vs a native run"
    assert_replays_match "setsid_$b"
done
echo PASS
