// "rp dump: 42%" on stderr while a long job runs, only when stderr is a
// terminal and stdout is not (output to a file: nothing to overwrite; never in
// pipes or tests' captured stderr): the first after 1024 steps, then at most
// five a second, erased when done.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace rp {

class Progress {
 public:
  Progress(std::string what, uint64_t total)
      : what_(std::move(what)), total_(total), on_(total > 0 && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO)) {}
  ~Progress() {
    if (shown_) fprintf(stderr, "\r\033[K");
  }
  void step(uint64_t done) {
    if (!on_ || ++calls_ % 1024) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    shown_ = true;
    fprintf(stderr, "\r\033[Krp %s: %llu%%", what_.c_str(),
            static_cast<unsigned long long>(done * 100 / total_));
  }

 private:
  std::string what_;
  uint64_t total_, calls_ = 0;
  bool on_, shown_ = false;
  std::chrono::steady_clock::time_point last_{};  // the first update is due at once
};

}  // namespace rp
