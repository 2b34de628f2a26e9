"""Compares `strace -f -o FILE` with `rp dump` of a recording of the same
program: per process, the same syscalls in the same order, and the same
decoded first argument where both print one (addresses and process ids differ
between two runs and are compared as placeholders).

usage: compare_strace.py STRACE_OUTPUT RP_DUMP_OUTPUT
"""
import re
import sys

CALL = re.compile(r'^([a-z_0-9]+)\((.*)')
# Calls the vDSO serves: strace never sees them, rp records them.
INVISIBLE_TO_STRACE = {"clock_gettime", "gettimeofday", "time", "getcpu"}
# Instructions rp traps, not syscalls: cpuid prints its leaf like arguments.
TRAPPED_INSNS = {"cpuid", "rdtsc", "rdtscp"}
MADE_BY_RP = "<made by rp"  # rp's own call in the program (arch_prctl after an exec)
PID_FIRST = {"kill", "tkill", "tgkill", "wait4", "waitid", "prlimit64", "set_tid_address"}
RANDOM_FIRST = {"getrandom"}  # bytes that differ between any two runs


def first_arg(rest):
    depth, out = 0, ""
    for ch in rest:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        out += ch
    return out.strip()


def normalize(name, arg):
    if name in PID_FIRST or name in RANDOM_FIRST or re.fullmatch(r"0x[0-9a-f]+", arg):
        return "*"
    if name == "clone":  # child_stack=0x... for threads
        return re.sub(r"0x[0-9a-f]+", "*", arg)
    if name == "execve" and arg.endswith('..."'):
        return arg
    return arg


def processes(lines, pid_of):
    procs = {}
    for line in lines:
        pid, text = pid_of(line)
        if pid is None:
            continue
        m = CALL.match(text)
        if not m or "resumed>" in text:
            continue
        name = m.group(1)
        text = text.replace(" <unfinished ...>", "")
        m = CALL.match(text)
        if name in INVISIBLE_TO_STRACE or name in TRAPPED_INSNS or MADE_BY_RP in text:
            continue
        procs.setdefault(pid, []).append((name, normalize(name, first_arg(m.group(2)))))
    return list(procs.values())


def strace_pid(line):
    m = re.match(r"^(\d+) +(.*)", line)
    return (m.group(1), m.group(2)) if m else (None, None)


def rp_pid(line):
    m = re.match(r"^ *\d+ +(\d+)  (.*)", line)
    return (m.group(1), m.group(2)) if m else (None, None)


def main():
    strace = processes(open(sys.argv[1]), strace_pid)
    rp = processes(open(sys.argv[2]), rp_pid)
    if len(strace) != len(rp):
        sys.exit(f"{len(strace)} processes in strace, {len(rp)} in rp dump")
    for i, (s, r) in enumerate(zip(strace, rp)):
        for j, (a, b) in enumerate(zip(s, r)):
            # Arguments compared where both print one (rt_sigreturn: strace only).
            if a[0] != b[0] or (a[1] and b[1] and a[1] != b[1]):
                sys.exit(f"process {i}, syscall {j}: strace {a!r}, rp dump {b!r}")
        if len(s) != len(r):
            sys.exit(f"process {i}: {len(s)} syscalls in strace, {len(r)} in rp dump")
    print(sum(len(s) for s in strace), "syscalls agree")


main()
