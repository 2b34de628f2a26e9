// gdb attached to a replay: `rp replay -g` / `--gdb-port`. The replay runs
// under the control of replay/gdb_target.cc, which answers gdb's packets
// (replay/gdb_server.h) whenever the replay stops. docs/debugging.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "replayer.h"

namespace rp {

struct GdbOptions {
  bool spawn = false;                // -g: start gdb, connected
  std::vector<std::string> scripts;  // -x FILE for that gdb
  int port = -1;                     // --gdb-port: wait for any gdb there
  uint64_t goto_event = 0;           // --goto: first stop before this event
  // -p/-f: debug this recorded process (0: the first one); the others are
  // replayed around it. gdb attaches after its first exec (-p; or where it
  // starts if it never execs), or where it is forked (-f).
  pid_t process = 0;
  bool on_fork = false;
  std::string gdb = "gdb";           // the debugger to start ($RP_GDB)
};

// Exit status: gdb's with -g; otherwise the recorded run's if the replay
// got to the end, 0 if the debugger ended it earlier.
int gdb_replay_main(const ReplayOptions& ro, const GdbOptions& go);

}  // namespace rp
