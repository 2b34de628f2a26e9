// The snapshot of an attach recording (`rp record -p PID --backend=ptrace`)
// as `rp info` and `rp dump` show it: read with the same read_snapshot that
// replay restores from, so what is shown is what replay starts from.
#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <limits>

#include "error.h"
#include "inspect/inspect.h"
#include "inspect/json.h"
#include "render.h"
#include "snapshot.h"
#include "trace.h"
#include "trace_check.h"

namespace rp {
namespace {


// A meta count the recorder wrote; nullopt if absent or not a count (rp info
// reads traces that failed rp check: it says so on its own line).
std::optional<int64_t> meta_count(TraceReader& r, const char* key) {
  if (!r.meta(key)) return std::nullopt;
  try {
    return r.meta_int(key, 0, 0, std::numeric_limits<int64_t>::max());
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string count_or_unknown(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : "?";
}

std::string pause_text(const std::optional<int64_t>& us) {
  if (!us) return "?";
  char b[48];
  snprintf(b, sizeof b, "%" PRId64 ".%03" PRId64 " ms", *us / 1000, *us % 1000);
  return b;
}

// As /proc/PID/maps writes them: "r-xp".
std::string perms(const SnapMap& m) {
  std::string p = "---p";
  if (m.prot & PROT_READ) p[0] = 'r';
  if (m.prot & PROT_WRITE) p[1] = 'w';
  if (m.prot & PROT_EXEC) p[2] = 'x';
  if (m.shared) p[3] = 's';
  return p;
}

// When the snapshot was taken: a flight recorder's (--ring) after the event
// it stands for, with the others before it; otherwise at the attach, before
// anything recorded.
std::string when_text(TraceReader& r) {
  if (auto seq = meta_count(r, "snapshot_seq")) {
    std::string out = "taken after event " + std::to_string(*seq) + " (--ring)";
    auto at = meta_count(r, "snapshot_time_ns"), start = meta_count(r, "clock_monotonic_ns");
    if (at && start && *at >= *start)
      out += ", " + std::to_string((*at - *start) / 1000000) + " ms into the recording";
    return out;
  }
  if (r.meta_or("mode", "") != "attach") return "when unknown";
  return "taken when rp attached to process " + printable(r.meta_or("attached_pid", "?"), 32) +
         ", before the first recorded event";
}

// How the private contents were read (meta snapshot_copy; absent in traces
// of older rp, which always read them while the process was stopped): a
// line of rp info's.
std::string copy_text(TraceReader& r) {
  auto copy = r.meta("snapshot_copy");
  if (!copy) return "";
  if (*copy == "fork") return "                contents read from a frozen copy (fork) after the pause\n";
  return "                contents read while " + printable(*copy, 200) + "\n";
}

std::string counts_text(TraceReader& r, const Snapshot& s) {
  size_t n = s.threads.size();
  return std::to_string(s.maps.size()) + " mappings, " + std::to_string(n) +
         (n == 1 ? " thread, " : " threads, ") +
         count_or_unknown(meta_count(r, "snapshot_bytes_read")) + " bytes read, " +
         count_or_unknown(meta_count(r, "snapshot_bytes_stored")) + " stored, paused " +
         pause_text(meta_count(r, "snapshot_pause_us")) + ", " +
         count_or_unknown(meta_count(r, "snapshot_unreadable_pages")) + " unreadable pages";
}

std::string pc_sp_text(const SnapThread& t, const std::string& arch) {
  auto p = regs_point(t.regs, arch);
  if (!p) return "registers not readable";
  return "pc " + hex(p->ip) + " sp " + hex(p->sp);
}

}  // namespace

// The flight recorder's line: what it kept and dropped.
std::string ring_info_text(TraceReader& r) {
  auto bytes = meta_count(r, "ring_bytes");
  if (!bytes) return "";
  std::string out = "ring:           " + std::to_string(*bytes) + " bytes, " +
                    count_or_unknown(meta_count(r, "ring_snapshots")) + " snapshots, " +
                    count_or_unknown(meta_count(r, "ring_dropped_events")) +
                    " events dropped, file at most " +
                    count_or_unknown(meta_count(r, "ring_max_file_bytes")) + " bytes\n";
  if (auto why = r.meta("ring_unpruned"))
    out += "                not pruned while " + printable(*why, 200) + "\n";
  if (r.meta_or("saved_on_request", "0") == "1")
    out += "                saved on request (SIGUSR2, rp save) while recording\n";
  return out;
}

std::string snapshot_info_text(TraceReader& r) {
  const std::string damaged = "snapshot:       damaged (rp check)\n";
  std::string ring = ring_info_text(r);
  try {  // rp info reads traces rp check refuses: a table may even be missing
    if (!has_snapshot(r)) return ring;
    if (!snapshot_problems(r).empty()) return ring + damaged;
    Snapshot s = read_snapshot(r);
    return ring + "snapshot:       " + when_text(r) + "\n                " + counts_text(r, s) +
           "\n" + copy_text(r);
  } catch (const Error&) {
    return ring + damaged;
  }
}

std::string snapshot_dump_text(TraceReader& r) {
  if (!has_snapshot(r)) return "";
  Snapshot s = read_snapshot(r);
  std::string arch = r.meta_or("arch", "?");
  std::string out = "snapshot " + when_text(r) + ": " + counts_text(r, s) + "\n";
  char line[64];
  for (const auto& m : s.maps) {
    snprintf(line, sizeof line, "  %012" PRIx64 "-%012" PRIx64 " ", m.addr, m.addr + m.size);
    out += line + perms(m);
    snprintf(line, sizeof line, " %08" PRIx64 " ", m.offset);
    out += line + printable(m.path, kMaxPathLen) + "\n";
  }
  for (const auto& t : s.threads)
    out += "  thread " + std::to_string(t.tid) + ": " + pc_sp_text(t, arch) + "\n";
  out += "  cwd: " + (s.cwd ? printable(*s.cwd, kMaxPathLen) : std::string("unknown")) + "\n";
  out += "  stack limit: " +
         (!s.stack_limit ? std::string("unknown")
          : *s.stack_limit < 0 ? std::string("unlimited")
                               : std::to_string(*s.stack_limit) + " bytes") + "\n";
  out += "  rp's stdout/stderr as:";
  if (!s.output_fds) out += " unknown (fds 1 and 2 taken)";
  for (const auto& [fd, target] : s.output_fds.value_or(std::map<int, int>{}))
    out += " fd " + std::to_string(fd) + (target == 1 ? " (stdout)" : " (stderr)");
  return out + "\n";
}

std::string snapshot_json(TraceReader& r) {
  if (!has_snapshot(r)) return "";
  Snapshot s = read_snapshot(r);
  std::string arch = r.meta_or("arch", "?");
  auto num = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "null"; };
  std::string out = "{\"type\":\"snapshot\",\"attached_pid\":" +
                    num(meta_count(r, "attached_pid")) +
                    ",\"after_seq\":" + num(meta_count(r, "snapshot_seq")) +
                    ",\"bytes_read\":" + num(meta_count(r, "snapshot_bytes_read")) +
                    ",\"bytes_stored\":" + num(meta_count(r, "snapshot_bytes_stored")) +
                    ",\"pause_us\":" + num(meta_count(r, "snapshot_pause_us")) +
                    ",\"unreadable_pages\":" + num(meta_count(r, "snapshot_unreadable_pages")) +
                    ",\"mappings\":[";
  // Addresses as hex strings, as dump's raw_args: beyond what a JSON number holds exactly.
  for (size_t i = 0; i < s.maps.size(); i++) {
    const SnapMap& m = s.maps[i];
    out += std::string(i ? "," : "") + "{\"start\":" + json::str(hex(m.addr)) +
           ",\"end\":" + json::str(hex(m.addr + m.size)) + ",\"perms\":" + json::str(perms(m)) +
           ",\"offset\":" + json::str(hex(m.offset)) + ",\"path\":" + json::str(m.path) + "}";
  }
  out += "],\"threads\":[";
  for (size_t i = 0; i < s.threads.size(); i++) {
    const SnapThread& t = s.threads[i];
    auto p = regs_point(t.regs, arch);
    out += std::string(i ? "," : "") + "{\"tid\":" + std::to_string(t.tid);
    if (p) out += ",\"pc\":" + json::str(hex(p->ip)) + ",\"sp\":" + json::str(hex(p->sp));
    out += "}";
  }
  out += "],\"cwd\":" + (s.cwd ? json::str(*s.cwd) : std::string("null")) +
         ",\"stack_limit\":" + num(s.stack_limit) + ",\"output_fds\":";
  if (!s.output_fds) return out + "null}";
  std::string fds;
  for (const auto& [fd, target] : *s.output_fds)
    fds += std::string(fds.empty() ? "" : ",") + "{\"fd\":" + std::to_string(fd) +
           ",\"to\":" + json::str(target == 1 ? "stdout" : "stderr") + "}";
  return out + "[" + fds + "]}";
}

}  // namespace rp
