/* The layout the replay agent (agent_blob.S) and the replayer
 * (agent_code.cc) share: one mapping per replayed address space holds the
 * agent's code in its first page, the window after it, then the agent's
 * stack. Plain #defines:
 * this file is included from assembly too. */
#ifndef RP_REPLAY_AGENT_ABI_H
#define RP_REPLAY_AGENT_ABI_H

#define RP_AGENT_WINDOW_OFFSET 4096
#define RP_AGENT_WINDOW_BYTES (1024 << 10)
/* A page of stack after the window: the site stubs call the agent on it, not
 * under the program's stack pointer, where the recording's syscalls wrote
 * nothing (a later frame's uninitialized slots, which a switch's digest may
 * hash, keep the recording's bytes). One thread runs at a time in replay. */
#define RP_AGENT_STACK_TOP (RP_AGENT_WINDOW_OFFSET + RP_AGENT_WINDOW_BYTES + 4096)
#define RP_AGENT_MAP_BYTES RP_AGENT_STACK_TOP

/* Window header: entries [next, count) are still to be answered; the next
 * one starts at byte `off` of the window. The bytes of calls that send (a
 * write's buffer, a writev's iovecs) are copied from `sent` on, to the
 * window's end, each as {len, bytes padded to 8}: the replayer hashes them
 * for the divergence check and prints what went to its terminal. */
#define RP_AGENT_H_COUNT 0
#define RP_AGENT_H_NEXT 8
#define RP_AGENT_H_OFF 16
#define RP_AGENT_H_SENT 24
#define RP_AGENT_H_BYTES 32

/* One entry: the recorded call (number, arguments, which arguments to
 * compare), its result, the entry's whole size, what it sends (kind: none,
 * one buffer {ptr, len}, an iovec array {ptr, count}, or a msghdr's
 * {ptr, 0}), then its records,
 * each {addr, len, bytes padded to 8}: first the strings it was given (the
 * program's bytes at addr must be these, then a NUL), then its outputs. */
#define RP_AGENT_E_NR 0
#define RP_AGENT_E_ARGS 8
#define RP_AGENT_E_MASK 56
#define RP_AGENT_E_RET 64
#define RP_AGENT_E_NOUT 72
#define RP_AGENT_E_SIZE 80
#define RP_AGENT_E_NIN 88
#define RP_AGENT_E_SEND 96
#define RP_AGENT_E_SEND_PTR 104
#define RP_AGENT_E_SEND_N 112
#define RP_AGENT_E_RECORDS 120

#define RP_AGENT_SEND_NONE 0
#define RP_AGENT_SEND_BUFFER 1
#define RP_AGENT_SEND_IOV 2
#define RP_AGENT_SEND_MSGHDR 3 /* its iovecs; none with control data (passed fds) */
#define RP_AGENT_MAX_IOV 1024 /* the entries the kernel and the hash take */

#endif
