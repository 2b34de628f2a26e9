// Why the kernel refused the eBPF program, from what libbpf printed while
// loading it: on a refusal libbpf loads the program once more with the
// verifier's log on and prints that log between its BEGIN/END markers. The
// verifier ends its log with the reason ("combined stack size of 7 calls is
// 544. Too large", "R1 invalid mem access 'scalar'") and its statistics.
#ifndef RP_RECORD_BPF_VERIFIER_LOG_H
#define RP_RECORD_BPF_VERIFIER_LOG_H

#include <string>

namespace rp {

// The refused program's name and the last `max_lines` lines of the last
// verifier log in `messages` (libbpf's message, or several), the statistics
// left out, each on a line of its own, indented:
// "rp_sys_exit: the verifier said:\n  combined stack size ...". Empty when
// the messages hold no verifier log.
std::string verifier_reason(const std::string& messages, int max_lines = 4);

}  // namespace rp

#endif
