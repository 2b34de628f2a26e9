// The recorded times in `rp dump`: strace's -t/-tt/-ttt, -r and -T columns
// and the "t"/"dur" fields of --json.
#ifndef RP_INSPECT_DUMP_TIMES_H
#define RP_INSPECT_DUMP_TIMES_H

#include <cstdint>
#include <optional>
#include <string>

#include "inspect/inspect.h"
#include "trace.h"

namespace rp {

// Event times are CLOCK_MONOTONIC; the trace's meta holds one (realtime,
// monotonic) pair read together at the start, which turns them into wall-clock.
struct Clock {
  bool known = false;
  int64_t realtime0 = 0, monotonic0 = 0;
  int64_t wall(int64_t mono) const { return realtime0 + (mono - monotonic0); }
};
Clock trace_clock(TraceReader& r);

// Refuses -t/-tt/-ttt/-r/-T on a trace recorded without times (format 1).
void check_times_recorded(const DumpOptions& o, TraceReader& r);

// ,"t":wall,"dur":spent for an event's JSON object (each only when known).
std::string json_times(const Event& e, const Clock& clock);

// A dump line's time columns, as strace places them around the call.
class TimeColumns {
 public:
  TimeColumns(const DumpOptions& o, const Clock& clock) : o_(o), clock_(clock) {}
  // -t/-tt/-ttt and -r, as strace puts them after "[pid N] "; blank for an
  // event recorded without a time.
  std::string before(const Event& e);
  // -T: " <s.us>" after a syscall that returned (strace shows none otherwise).
  std::string after(const Event& e) const;

 private:
  const DumpOptions& o_;
  Clock clock_;
  std::optional<int64_t> last_time_;  // -r: the previous line's time
};

}  // namespace rp

#endif
