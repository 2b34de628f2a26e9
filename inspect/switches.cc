// The number of recorded thread switches in user code, for `rp info`.
#include <cstdint>
#include <string>

#include "error.h"
#include "inspect/inspect.h"
#include "sqlite.h"
#include "trace.h"

namespace rp {

// A kernel backend may count its switch records in meta `switches`; other
// traces (ptrace) only have their preempt events, which are counted.
std::string switches_text(TraceReader& r) {
  sql::Stmt st(r.db(), "SELECT count(*) FROM events WHERE kind=?");
  st.bind(1, static_cast<int64_t>(EventKind::kPreempt));
  st.step();
  std::string events = std::to_string(st.i64(0));
  if (!r.meta("switches")) return events + " (preempt events counted)";
  try {
    int64_t n = r.meta_int("switches", 0, 0, INT64_MAX);
    return std::to_string(n) + " (trace meta 'switches'; " + events + " preempt events)";
  } catch (const Error&) {
    return "damaged (trace meta 'switches' is not a count; " + events + " preempt events)";
  }
}

}  // namespace rp
