# Thread switches in user code (preempt events): `rp info` counts them and
# says from where; `rp dump` shows each with the ip and sp of its recorded
# registers, as text and as JSON. spin_wait's main thread spins until its
# other thread runs, so the ptrace scheduler must switch it out once at least
# -- unless the other thread ran to its end before the main thread got back
# from clone (a clone that outlived the scheduler's 1 ms grace period, seen
# once in a loaded CI run: "spins=0", no switch): then it is recorded again.
source "$(dirname "$0")/lib.sh"

for attempt in 1 2 3 4 5; do
    RP_BACKEND=ptrace record spin "$SAMPLES/sample_spin_wait"
    assert_eq "$REC_STATUS" 0 "spin_wait recording"
    grep -q ' spins=0$' "$TMP/spin.rec" || break
    note "attempt $attempt: the other thread ended before the spin began; again"
done
"$RP" dump "$TMP/spin.db" >"$TMP/spin.dump" || fail "rp dump"
"$RP" dump --json "$TMP/spin.db" >"$TMP/spin.json" || fail "rp dump --json"
"$RP" info "$TMP/spin.db" >"$TMP/spin.info" || fail "rp info"

note "dump: one line per switch with ip and sp"
grep -E -- '--- switched out in user code at ip=0x[0-9a-f]+ sp=0x[0-9a-f]+ ---$' "$TMP/spin.dump" \
    >"$TMP/switch.lines" || { show "$TMP/spin.dump"; fail "no switch line in rp dump"; }
first=$(head -1 "$TMP/switch.lines")
seq=$(awk '{print $1}' <<<"$first")
ip=$(sed -E 's/.* ip=(0x[0-9a-f]+) .*/\1/' <<<"$first")
sp=$(sed -E 's/.* sp=(0x[0-9a-f]+) .*/\1/' <<<"$first")

# The raw registers, read straight from the trace: x86_64 user_regs_struct
# holds rip at word 16 and rsp at word 19 of SignalExtra.regs (byte 136).
raw_reg() { # WORD: that register of event $seq, as 0x... (little endian)
    local le
    le=$(sqlite3 "$TMP/spin.db" "SELECT hex(substr(extra, 137 + $1 * 8, 8)) FROM events WHERE seq=$seq")
    printf '0x%x\n' "0x$(sed -E 's/(..)(..)(..)(..)(..)(..)(..)(..)/\8\7\6\5\4\3\2\1/' <<<"$le")"
}
if [ "$(uname -m)" = x86_64 ]; then
    assert_eq "$ip" "$(raw_reg 16)" "ip of the switch at event $seq"
    assert_eq "$sp" "$(raw_reg 19)" "sp of the switch at event $seq"
fi

note "dump --json: the same ip and sp"
grep -F "{\"seq\":$seq," "$TMP/spin.json" >"$TMP/switch.json" || fail "event $seq not in the JSON dump"
assert_contains "$TMP/switch.json" "\"type\":\"preempt\",\"ip\":\"$ip\",\"sp\":\"$sp\"" "JSON preempt event"

note "info: the switches, counted from the preempt events"
n=$(wc -l <"$TMP/switch.lines")
assert_contains "$TMP/spin.info" "switches:       $n (preempt events counted)" "rp info"

note "info: a kernel backend's count in meta 'switches' comes first; a damaged one is said"
cp "$TMP/spin.db" "$TMP/meta.db"
sqlite3 "$TMP/meta.db" "INSERT INTO meta(key, value) VALUES ('switches', 7)" || fail "sqlite3"
"$RP" info "$TMP/meta.db" >"$TMP/meta.info" || fail "rp info with meta switches"
assert_contains "$TMP/meta.info" "switches:       7 (trace meta 'switches'; $n preempt events)" "meta count"
sqlite3 "$TMP/meta.db" "UPDATE meta SET value='lots' WHERE key='switches'" || fail "sqlite3"
"$RP" info "$TMP/meta.db" >"$TMP/damaged.info" 2>"$TMP/damaged.err"
assert_contains "$TMP/damaged.info" "switches:       damaged (trace meta 'switches' is not a count" \
    "damaged meta count"
echo PASS
