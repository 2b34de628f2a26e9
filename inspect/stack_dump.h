// `rp dump -k`: the stack at every recorded syscall, like strace -k. Only a
// replay can know the stacks: the trace is replayed, and each thread is
// unwound (elfutils libdwfl, with the CFI of the files stored in the trace)
// when it stops at the entry of a recorded call.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "replayer.h"

namespace rp {

class TraceReader;

struct SyscallStacks {
  // strace -k's lines (" > /lib/x.so(fn+0x1f) [0x2a1f]"), by event seq, for
  // every syscall whose entry the replay reached; indices into `lines`,
  // which holds each distinct line once (stacks repeat a lot).
  std::map<uint64_t, std::vector<uint32_t>> by_seq;
  std::vector<std::string> lines;
};

// An observer of the replay of `trace` (inspect/replay_observe.h) that
// unwinds each thread at its syscalls into `out`; the libraries' separate
// debug files are looked up in `debug_dirs` (none: /usr/lib/debug). Throws
// Error (one `rp:` line, exit 125) if a debug directory cannot be opened or
// this build of rp has no unwinder.
std::unique_ptr<SyscallObserver> stack_observer(SyscallStacks& out, TraceReader& trace,
                                                const std::vector<std::string>& debug_dirs);

}  // namespace rp
