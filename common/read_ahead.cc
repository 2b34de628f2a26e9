#include "read_ahead.h"

#include <signal.h>

#include "tracer_tsc.h"

namespace rp {

std::thread start_reader_thread(std::function<void()> body) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  std::thread t([body = std::move(body)] {
    untrap_new_thread();
    body();
  });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

}  // namespace rp
