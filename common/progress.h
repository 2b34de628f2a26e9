// "rp dump: 42%" on stderr while a long job runs, only when stderr is a
// terminal and stdout is not (output to a file: nothing to overwrite; never in
// pipes or tests' captured stderr): the first after `every` steps (1024: a
// step per event), then at most five a second, erased when done. Used by rp
// dump, timeline, dump -k, replay, record's end and gdb's reverse execution. A job that itself writes
// to the terminal (the replayed program's stderr) erases the line first and
// holds it while its own line is unfinished.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "tracer_tsc.h"  // replay's thread may trap rdtsc

namespace rp {

class Progress {
 public:
  // `stdout_unused`: the job writes nothing to stdout meanwhile (gdb's
  // reverse execution re-runs the replay quietly), so a terminal there does
  // not turn progress off.
  Progress(std::string what, uint64_t total, uint64_t every = 1024, bool stdout_unused = false)
      : what_(std::move(what)),
        total_(total),
        every_(every),
        on_(total > 0 && isatty(STDERR_FILENO) && (stdout_unused || !isatty(STDOUT_FILENO))) {}
  ~Progress() { clear(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void step(uint64_t done) {
    if (!on_ || ++calls_ % every_ || held_) return;
    int64_t now = tracer_clock_ns(CLOCK_MONOTONIC);
    if (now - last_ < 200'000'000) return;
    last_ = now;
    shown_ = true;
    fprintf(stderr, "\r\033[Krp %s: %llu%%", what_.c_str(),
            static_cast<unsigned long long>(std::min(done, total_) * 100 / total_));
  }
  // Erases the line (if shown) before someone else writes to stderr.
  void clear() {
    if (shown_) fprintf(stderr, "\r\033[K");
    shown_ = false;
  }
  // Held, step() shows nothing: someone else's unfinished line is on the
  // terminal, and "\r" would overwrite it.
  void hold(bool held) { held_ = held; }

 private:
  std::string what_;
  uint64_t total_, every_, calls_ = 0;
  bool on_, shown_ = false, held_ = false;
  int64_t last_ = INT64_MIN / 2;  // ns; the first update is due at once
};

}  // namespace rp
