#include "read_ahead.h"

#include <signal.h>

#include "tracer_tsc.h"

namespace rp {

std::thread start_reader_thread(std::function<void()> body) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  struct Restore {
    const sigset_t& mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old};  // also when the thread cannot be made (std::system_error)
  return std::thread([body = std::move(body)] {
    untrap_new_thread();
    body();
  });
}

}  // namespace rp
