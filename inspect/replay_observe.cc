#include "inspect/replay_observe.h"

#include "arch.h"
#include "progress.h"
#include "trace.h"

namespace rp {
namespace {

class Observers : public SyscallObserver {
 public:
  explicit Observers(const std::vector<SyscallObserver*>& all) : all_(all) {}
  void at_syscall_entry(const SyscallEntryStop& s) override {
    for (SyscallObserver* o : all_) o->at_syscall_entry(s);
  }

 private:
  const std::vector<SyscallObserver*>& all_;
};

}  // namespace

ReplayEnd replay_observed(TraceReader& trace, const std::vector<SyscallObserver*>& observers,
                          const std::string& what) {
  Observers all(observers);
  Progress progress(what, static_cast<uint64_t>(trace.count("events")));
  Replayer r(trace, /*quiet=*/true);
  r.set_syscall_observer(&all);
  r.set_progress(&progress);
  ReplayEnd end;
  try {
    r.run();
  } catch (const Divergence& d) {
    end.stopped_at = r.current_seq();
    end.divergence = d.what();
  }
  return end;
}

}  // namespace rp
