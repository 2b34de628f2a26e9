// Signal numbers in the gdb remote protocol are gdb's own (include/gdb/
// signals.def in gdb's sources), not the host's: Linux's SIGCHLD (17) is
// gdb's SIGSTOP. Stop replies, exit replies and QPassSignals go through here.
#pragma once

namespace rp {

int gdb_signal_from_host(int sig);  // 143 (gdb's "unknown signal") if gdb has none
int host_signal_from_gdb(int sig);  // 0 if the host has none

}  // namespace rp
