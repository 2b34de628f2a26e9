# Sourced by the bench scripts: `tracer_progs PID` prints "name run_time_ns
# run_cnt" for each eBPF program process PID holds open (its own, not other
# tracers'), sorted by name; kernel.bpf_stats_enabled=1 makes the figures count.
tracer_progs() {
  local ids
  ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ,)
  bpftool prog show -j | python3 -c '
import json, sys
ids = set(sys.argv[1].split(","))
for p in json.load(sys.stdin):
    if str(p.get("id")) in ids:
        print(p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))' "$ids" | sort
}
