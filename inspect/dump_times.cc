#include "inspect/dump_times.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "error.h"
#include "syscall_table.h"

namespace rp {

namespace {

// The time strace shows for a line: the call's start (its stop for other events).
std::optional<int64_t> line_time(const Event& e) { return e.began_ns(); }

// How long a syscall ran: none for one that never returned (exit, exit_group,
// killed in it), as strace -T shows none.
std::optional<int64_t> duration(const Event& e) {
  if (e.kind != EventKind::kSyscall || !e.t_entry || !e.t_exit) return std::nullopt;
  const SyscallSpec* s = syscall_spec(e.nr);
  if (e.extra == kNoReturn || (s && s->policy == RP_POLICY_EXIT)) return std::nullopt;
  return *e.t_exit - *e.t_entry;
}

// s.us, as strace prints times and durations (ns truncated to us; >= 0).
std::string seconds_us(int64_t ns) {
  char buf[48];
  int64_t us = (ns < 0 ? 0 : ns) / 1000;
  snprintf(buf, sizeof buf, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
  return buf;
}

// strace -t (hh:mm:ss), -tt (hh:mm:ss.us), -ttt (epoch s.us), local time.
std::string wall_text(int64_t wall_ns, int level) {
  if (level >= 3) return seconds_us(wall_ns);
  time_t sec = static_cast<time_t>(wall_ns / 1000000000);
  struct tm tm{};
  localtime_r(&sec, &tm);
  char buf[48];
  strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  if (level == 1) return buf;
  char us[16];
  snprintf(us, sizeof us, ".%06" PRId64, (wall_ns % 1000000000) / 1000);
  return buf + std::string(us);
}

}  // namespace

Clock trace_clock(TraceReader& r) {
  Clock c;
  if (!r.has_times()) return c;
  c.realtime0 = r.meta_int("clock_realtime_ns", -1, -1, INT64_MAX);
  c.monotonic0 = r.meta_int("clock_monotonic_ns", -1, -1, INT64_MAX);
  c.known = c.realtime0 >= 0 && c.monotonic0 >= 0;
  return c;
}

void check_times_recorded(const DumpOptions& o, TraceReader& r) {
  if ((o.timestamps || o.relative || o.durations) && !trace_clock(r).known)
    throw Error(o.trace + ": recorded without times (trace format version " +
                r.meta_or("format_version", "?") + "): -t, -tt, -ttt, -r and -T need a trace "
                "recorded by an rp that records them (version " + std::to_string(kTraceVersion) +
                ")");
}

std::string json_times(const Event& e, const Clock& clock) {
  std::string out;
  auto t = line_time(e);
  if (clock.known && t) out += ",\"t\":" + seconds_us(clock.wall(*t));
  if (auto d = duration(e)) out += ",\"dur\":" + seconds_us(*d);
  return out;
}

std::string TimeColumns::before(const Event& e) {
  std::string out;
  auto t = line_time(e);
  if (o_.timestamps) {
    std::string w = t ? wall_text(clock_.wall(*t), o_.timestamps) : "";
    size_t width = o_.timestamps == 1 ? 8 : o_.timestamps == 2 ? 15 : 17;
    out += w + std::string(w.size() < width ? width - w.size() : 0, ' ') + " ";
  }
  if (o_.relative) {
    std::string rel = t ? seconds_us(last_time_ ? *t - *last_time_ : 0) : "";
    out += std::string(rel.size() < 13 ? 13 - rel.size() : 0, ' ') + rel + " ";
  }
  if (t) last_time_ = t;
  return out;
}

std::string TimeColumns::after(const Event& e) const {
  if (!o_.durations) return "";
  auto d = duration(e);
  return d ? " <" + seconds_us(*d) + ">" : "";
}

}  // namespace rp
