// `rp record -p PID` (record/attach.cc).
#pragma once
#include <chrono>

#include "launch.h"
#include "record.h"
#include "trace.h"

namespace rp {

class KernelCapture;
class PtraceRecorder;

// Attaches, snapshots, records (with ptrace, or a kernel backend and the
// ptrace supervisor, as opts.backend says) until the process exits (returns its exit
// code, as for a started program) or rp gets SIGINT/SIGTERM (detaches,
// returns 0). `write_environment` writes the metadata of a recording
// (record.cc) for the process's command line and environment.
// Where rdtsc cannot be trapped (tracer_tsc.h, rdtsc_traps), the warning a
// recording starts with unless quiet (record.cc).
void warn_of_untrapped_rdtsc(bool quiet);

int record_attach(const RecordOptions& opts,
                  void (*write_environment)(TraceWriter&, const LaunchSpec&));

// The meta every replayable recording ends with: the supervisor's counts
// and, with a kernel backend, the finished capture's (kc, else null).
void write_capture_meta(TraceWriter& w, const PtraceRecorder& rec, KernelCapture* kc);

// meta duration_ms: from t0 to `ended` (the program's exit, the detach);
// finish_ms: from `ended` to now, writing out what the capture still held.
void write_duration_meta(TraceWriter& w, std::chrono::steady_clock::time_point t0,
                         std::chrono::steady_clock::time_point ended);

}  // namespace rp
