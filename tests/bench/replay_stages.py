#!/usr/bin/env python3
"""Where rp's replay time goes, by stage, from a perf profile with call graphs:

  perf record -F 2999 --call-graph dwarf,16384 -o p.data -- rp replay -q t.db
  perf script -i p.data | tests/bench/replay_stages.py rp 2999

Each sample of the command named COMM (argv[1]) goes to the first stage whose
pattern its stack (leaf first) matches; with the sampling rate (argv[2]) the
counts are also shown as milliseconds of CPU."""
import collections
import re
import sys

STAGES = [
    ('agent window write into the program', r'AgentWindow::|process_vm_writev|Tracee::write'),
    ('blob decode + hash (zstd, xxhash)', r'zstd|XXH|TraceReader::blob'),
    ('page faults under trace reading', r'(exc_page_fault|asm_exc_page_fault)[\s\S]*resolve_mem'),
    ('trace read: copy blob into event', r'resolve_mem'),
    ('trace read: SQLite', r'sqlite3|Stmt::step|TraceReader::next|next_entry'),
    ('ptrace stops: wait, regs, resume', r'wait4|Replayer::wait\b|ptrace|get_regs|set_regs'),
    ('process start, exec, restore, setup',
     r'_dl_start|execve|launch|agent_setup|TraceReader::TraceReader|verify|restore'),
    ('other replay main loop', r'Replayer::'),
]


def main():
    comm = sys.argv[1]
    hz = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    counts, total = collections.Counter(), 0
    frames, cur = [], None

    def flush():
        nonlocal total
        if cur != comm or not frames:
            return
        total += 1
        stack = '\n'.join(frames)
        counts[next((n for n, p in STAGES if re.search(p, stack)), 'other')] += 1

    for line in sys.stdin:
        if line.strip() and not line.startswith('\t'):
            flush()
            cur, frames = line.split()[0], []
        elif line.strip():
            frames.append(line.strip())
    flush()
    ms = (lambda n: f' {1000 * n / hz:6.1f} ms') if hz else (lambda n: '')
    print(f'{total} samples of {comm}' + ms(total))
    for name, n in counts.most_common():
        print(f'{n:5d} {100 * n / max(total, 1):5.1f}%{ms(n)}  {name}')


if __name__ == '__main__':
    main()
