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

std::string why_not_replayable(TraceReader& trace) {
  if (trace.meta_or("replayable", "1") == "0")
    return trace.path() + " was captured without replay support (rp record -p/--name with a "
           "kernel backend)";
  std::string arch = trace.meta_or("arch", "?");
  if (arch != kArchName) return "trace was recorded on " + arch + ", this machine is " + kArchName;
  return "";
}

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
