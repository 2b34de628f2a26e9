// What the replayer keeps about the in-process agent (agent_replay.cc).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent_code.h"

namespace rp {

// One replayed address space: where its agent and stubs are, which
// syscall sites are patched or refused. Threads share it; a fork's child
// gets a copy (its memory is a copy), a CLONE_VM child the same one.
struct AgentSpace {
  uint64_t base = 0;        // the agent's mapping (code, then window); 0: none yet
  bool unusable = false;    // no place for it: every syscall takes the ptrace path
  std::set<uint64_t> pages;            // stub pages mapped
  std::map<uint64_t, uint64_t> slots;  // stub bytes in use, [start, end)
  std::set<uint64_t> decided;          // syscall sites patched or refused for good
  // An instruction start inside patched bytes -> its copy and the filler there.
  std::map<uint64_t, std::pair<uint64_t, uint8_t>> interior;
  std::map<uint64_t, uint64_t> stub_entry;  // a stub's own syscall -> the stub's entry
  // The instruction after a stub's syscall -> the one after the site's.
  std::map<uint64_t, uint64_t> stub_return;
  size_t patched = 0;
};

struct AgentState {
  bool on = false;
  bool single_steps = false;  // the trace has a tracer's single steps (kSigHeld traps)
  bool stats = false;  // RP_AGENT_STATS: a summary on stderr at the end
  bool reported = false;
  // Why the agent cannot be used for this replay (said once on stderr, not
  // with -q); empty while it can, and when the user turned it off.
  std::string unusable_why;
  bool said_unusable = false;
  std::string first_refusal;  // why the first syscall site was not patched
  // Address ranges the recording mapped, unmapped or otherwise named: the
  // agent and its stubs never go there.
  std::vector<std::pair<uint64_t, uint64_t>> avoid;
  std::set<uint64_t> point_ips;  // recorded asynchronous points (never inside a patch)
  // Words the program's own ptrace wrote (POKETEXT/DATA) in any process: a
  // site there is never patched, the write would cut through the patch.
  std::vector<std::pair<uint64_t, uint64_t>> poked;
  std::map<pid_t, std::shared_ptr<AgentSpace>> spaces;  // by real tgid
  // The window armed now: its events' seqs and where it is.
  AgentWindow window;  // reused: its buffer keeps its capacity
  std::vector<uint64_t> armed;
  std::vector<bool> armed_sends;  // per armed event: it sends bytes, which the agent copies
  uint64_t armed_sent_start = 0;  // where in the window the copies start
  uint64_t armed_window = 0;
  pid_t armed_tid = 0;
  pid_t armed_rec = 0;
  // How many calls the next window of a thread (recorded tid) may hold:
  // doubled when the last one was all answered, twice what was answered
  // otherwise. A window costs the replayer its length to build, whatever
  // the program takes of it (a call at a site that could not be patched
  // ends it early, nginx's epoll_wait after ~12 of thousands).
  std::map<pid_t, size_t> window_cap;
  // Events the agent answered that the main loop has not passed yet, and
  // what those that send bytes sent (agent_sends.cc), by seq.
  std::deque<uint64_t> answered;
  std::deque<std::pair<uint64_t, std::string>> sent;
  uint64_t n_answered = 0, n_syscalls = 0, n_patched = 0, n_refused = 0;
  uint64_t n_windows = 0;  // windows that answered calls: each ends with one ptrace stop
};

}  // namespace rp
