// setrlimit and prlimit64 are emulated in replay (the recorded results and
// old limits come from the trace; replay's own limits are not the
// recording's, and a sandboxed program could not raise them). One limit
// decides where the program's code faults, though: RLIMIT_STACK bounds how
// far the stack grows, so a recursion that the recording stopped with a
// SIGSEGV at its limit would go deeper in replay. The replayed process gets
// the new stack limit it set, for real: rp runs prlimit64 in it (the
// sandbox's filter admits exactly that call), since rp may not change
// another user's limits (the program runs as nobody; root may lack
// CAP_SYS_RESOURCE, as on these VMs).
#include <sys/resource.h>
#include <sys/syscall.h>

#include "replayer.h"

namespace rp {

namespace {

// Where the new stack limit a successful call set lies in the program's
// memory, 0 if it set none.
uint64_t new_stack_limit_at(const Event& e) {
  if (e.kind != EventKind::kSyscall || e.ret != 0) return 0;
  if (e.nr == SYS_setrlimit && e.args[0] == RLIMIT_STACK) return e.args[1];
  if (e.nr == SYS_prlimit64 && e.args[0] == 0 && e.args[1] == RLIMIT_STACK)  // its own process
    return e.args[2];
  return 0;
}

}  // namespace

bool sets_stack_limit(const Event& e) { return new_stack_limit_at(e) != 0; }

void Replayer::apply_stack_limit(Task& t, const Event& e) {
  uint64_t at = new_stack_limit_at(e);
  if (!at) return;
  // Raising the hard limit needs a privilege the sandboxed program lacks:
  // the stack then grows differently only if it comes near that limit,
  // which shows as a divergence at its fault.
  inject_syscall(t, e, SYS_prlimit64, {0, RLIMIT_STACK, at, 0});
}

}  // namespace rp
