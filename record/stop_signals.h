// What SIGTERM, SIGINT and SIGHUP sent to rp do while it records a program
// it started (docs/user-guide.md, "Stopping a recording"). The first is
// passed on to the program's process group, and rp stays to record how the
// program ends and to finish the trace. A second one, or one that finds the
// group without a process (the program left processes running outside it: a
// daemon that called setsid), ends the recording: rp kills (SIGKILL) every
// process it records, the trace records those deaths as it records any, and
// rp finishes it.
#pragma once

#include <sys/types.h>

namespace rp {

// Installs the handlers for the program's process group `group`.
void forward_stop_signals(pid_t group);
// The program's group has no process left: a stop signal now ends the
// recording at once. Also once the recording is over (the group's number
// may be reused then).
void program_group_gone();
// The threads rp records (tid, and its process's tgid), for the handlers.
// Called from the recorder's thread only.
void note_recorded_thread(pid_t tid, pid_t tgid);
void forget_recorded_thread(pid_t tid);
// Ends the recording as a stop signal would (rp record --end-with-program,
// once the program has exited).
void end_recording_now();
// Whether a stop signal (or end_recording_now) ended the recording: the
// recorder kills what the handler may have missed (a process born while it
// ran).
bool recording_end_requested();

}  // namespace rp
