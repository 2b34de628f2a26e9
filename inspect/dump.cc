// `rp dump`: the trace's events as strace prints them (or as JSON lines).
#include <sys/syscall.h>

#include <cinttypes>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>

#include "decode/args.h"
#include "decode/decode.h"
#include "decode/xlat.h"
#include "error.h"
#include "inspect/dump_times.h"
#include "inspect/inspect.h"
#include "inspect/json.h"
#include "progress.h"
#include "inspect/replay_observe.h"
#include "inspect/stack_dump.h"
#include "inspect/written_bytes.h"
#include "kernel_copy.h"
#include "render.h"
#include "syscall_table.h"
#include "trace.h"

namespace rp {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); i++) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// What -e selects: which syscalls are printed, whose data is dumped.
struct Filter {
  bool all = true, negate = false;
  uint16_t classes = 0;
  std::set<int64_t> nrs;
  std::set<int64_t> read_fds, write_fds;

  bool shows(int64_t nr) const {
    if (all) return true;
    bool in = nrs.count(nr) || (decode::classes_of(nr) & classes);
    return in != negate;
  }
};

std::set<int64_t> parse_fds(const std::string& list, const std::string& expr) {
  std::set<int64_t> fds;
  for (const auto& f : split(list, ',')) {
    char* end = nullptr;
    long v = std::strtol(f.c_str(), &end, 10);
    if (f.empty() || *end || v < 0) throw Error("dump: -e " + expr + ": '" + f + "' is not an fd");
    fds.insert(v);
  }
  return fds;
}

void parse_trace_set(Filter& f, std::string set) {
  f.all = false;
  if (!set.empty() && set[0] == '!') {
    f.negate = true;
    set.erase(0, 1);
  }
  for (const auto& name : split(set, ',')) {
    if (name == "all") {
      f.classes = 0xffff;
      f.all = !f.negate;
    } else if (uint16_t c = decode::trace_class(name)) {
      f.classes |= c;
    } else if (const SyscallSpec* s = syscall_spec_by_name(name)) {
      f.nrs.insert(syscall_nr(*s));
    } else {
      throw Error("dump: -e trace: unknown syscall or class '" + name + "'");
    }
  }
}

Filter parse_filter(const std::vector<std::string>& exprs) {
  Filter f;
  for (const auto& e : exprs) {
    auto eq = e.find('=');
    std::string key = eq == std::string::npos ? "trace" : e.substr(0, eq);
    std::string value = eq == std::string::npos ? e : e.substr(eq + 1);
    if (key == "trace" || key == "t") parse_trace_set(f, value);
    else if (key == "read" || key == "r") f.read_fds = parse_fds(value, e);
    else if (key == "write" || key == "w") f.write_fds = parse_fds(value, e);
    else throw Error("dump: -e " + e + ": expected trace=, read= or write=");
  }
  return f;
}

bool is_read_like(int64_t nr) {
  switch (nr) {
    case SYS_read: case SYS_pread64: case SYS_readv: case SYS_preadv: case SYS_preadv2:
    case SYS_recvfrom: case SYS_recvmsg:
      return true;
  }
  return false;
}

// The bytes a read-like call received: its recorded buffers, without the
// address and length records of recvfrom/recvmsg.
std::string received(const Event& e) {
  std::string out;
  for (const auto& m : e.mem) {
    if (m.input) continue;
    if (e.nr == SYS_recvfrom && m.addr != e.args[1]) continue;
    if (e.nr == SYS_recvmsg && m.addr == e.args[1]) continue;
    out += m.bytes;
  }
  return out;
}

bool creates_task(int64_t nr) {
#ifdef SYS_fork  // x86_64 only; arm64 has clone alone
  if (nr == SYS_fork || nr == SYS_vfork) return true;
#endif
  return nr == SYS_clone;
}

// Tasks alive at an event, for strace -f's "[pid N]" (shown once there are several).
class LiveTasks {
 public:
  void see(const Event& e) {
    live_.insert(e.tid);
    bool creates = e.kind == EventKind::kSyscall && e.ret > 0 && creates_task(e.nr);
    if (creates) live_.insert(static_cast<int32_t>(e.ret));
  }
  void exited(int32_t tid) { live_.erase(tid); }
  bool several() const { return live_.size() > 1; }

 private:
  std::set<int32_t> live_;
};

std::string json_stack(const std::vector<std::string>& frames) {
  std::string out = ",\"stack\":[";
  for (size_t i = 0; i < frames.size(); i++) out += (i ? "," : "") + json::str(frames[i]);
  return out + "]";
}

// ,"ip":...,"sp":... of an event at an asynchronous point (a switch, a signal
// in user code): hex strings, as raw_args, beyond what a JSON number holds exactly.
std::string point_json(const Event& e, const std::string& arch) {
  std::optional<SwitchPoint> p = switch_point(e, arch);
  if (!p) return "";
  char regs[64];
  snprintf(regs, sizeof regs, ",\"ip\":\"%#" PRIx64 "\",\"sp\":\"%#" PRIx64 "\"", p->ip, p->sp);
  return regs;
}

std::string json_event(const Event& e, const decode::Options& dopt, const std::string& arch,
                       const std::vector<std::string>* stack, const Clock& clock) {
  char head[96];
  snprintf(head, sizeof head, "{\"seq\":%" PRIu64 ",\"tid\":%d", e.seq, e.tid);
  std::string out = head + json_times(e, clock) + ",";
  switch (e.kind) {
    case EventKind::kSyscall: {
      auto c = decode::decode_call(e, dopt);
      out += "\"type\":\"syscall\",\"name\":" + json::str(c.name) + ",\"args\":[";
      for (size_t i = 0; i < c.args.size(); i++) out += (i ? "," : "") + json::str(c.args[i]);
      out += "],\"raw_args\":[";
      // Hex strings: registers are 64-bit, beyond what a JSON number holds exactly.
      char reg[24];
      for (int i = 0; i < 6; i++) {
        snprintf(reg, sizeof reg, "\"%#" PRIx64 "\"", e.args[i]);
        out += (i ? "," : "") + std::string(reg);
      }
      out += "],\"ret\":" + std::to_string(e.ret) + ",\"result\":" + json::str(c.ret);
      if (e.entry_seq) out += ",\"entry_seq\":" + std::to_string(e.entry_seq);
      if (stack) out += json_stack(*stack);
      break;
    }
    case EventKind::kSignal: {
      out += "\"type\":\"signal\",\"signal\":" + json::str(decode::signal_name(e.nr)) +
             ",\"signo\":" + std::to_string(e.nr);
      std::optional<SignalExtra> x = signal_extra(e);
      if (x && !x->at_syscall) out += point_json(e, arch);  // where in user code
      out += ",\"text\":" + json::str(render_event_text(e));
      break;
    }
    case EventKind::kTaskExit:
      out += "\"type\":\"exit\",\"status\":" + std::to_string(e.ret) +
             ",\"text\":" + json::str(render_wait_status(e.ret));
      break;
    case EventKind::kPreempt:
      out += "\"type\":\"preempt\"" + point_json(e, arch);
      out += ",\"text\":" + json::str(render_event_text(e, arch));
      break;
    case EventKind::kInsn:
      out += "\"type\":\"insn\",\"text\":" + json::str(render_event_text(e));
      break;
  }
  return out + "}";
}

class Dumper {
 public:
  Dumper(const DumpOptions& o, TraceReader& r, const SyscallStacks* stacks,
         const WrittenBytes* written)
      : o_(o),
        f_(parse_filter(o.exprs)),
        stacks_(stacks),
        written_(written),
        clock_(trace_clock(r)),
        times_(o, clock_) {
    first_exec_.argv = r.list("argv");
    first_exec_.path = r.meta_or("exe_path", "?");
    first_exec_.env_vars = r.list("env").size();
    dopt_.string_limit = o.string_limit;
    arch_ = r.meta_or("arch", "?");
  }

  void print(const Event& e) {
    live_.see(e);
    print_one(e);
    if (e.kind == EventKind::kTaskExit) live_.exited(e.tid);
  }

 private:
  void print_one(const Event& e) {
    if (o_.tid && e.tid != o_.tid) return;
    if (e.kind == EventKind::kSyscall && !f_.shows(e.nr)) return;
    // A trace= selection is about syscalls: rp's own events (trapped
    // instructions, preemptions) go with them; signals and exits stay, as in strace.
    bool rp_own = e.kind == EventKind::kInsn || e.kind == EventKind::kPreempt;
    if (rp_own && !f_.all) return;
    // The traced command's own execve is the first: its argv is in the trace.
    bool first_exec =
        e.kind == EventKind::kSyscall && e.nr == SYS_execve && !e.entry_seq && !seen_exec_;
    if (e.kind == EventKind::kSyscall && e.nr == SYS_execve) seen_exec_ = true;
    dopt_.first_exec = first_exec ? &first_exec_ : nullptr;
    std::vector<std::string> stack = stack_of(e);
    if (o_.json) {
      std::cout << json_event(e, dopt_, arch_, stacks_ ? &stack : nullptr, clock_) << "\n";
      return;
    }
    decode::Call call;
    if (e.kind == EventKind::kSyscall) call = decode::decode_call(e, dopt_);
    std::cout << prefix(e) << times_.before(e) << text(e, call) << times_.after(e) << "\n";
    for (const auto& frame : stack) std::cout << frame << "\n";
    if (e.kind == EventKind::kSyscall) buffers(e, call);
  }

  // -k: the frames the replay found at this syscall's entry (none for the
  // first execve, where the recording starts, or a call never entered).
  std::vector<std::string> stack_of(const Event& e) const {
    std::vector<std::string> frames;
    if (!stacks_ || e.kind != EventKind::kSyscall) return frames;
    auto it = stacks_->by_seq.find(e.seq);
    if (it == stacks_->by_seq.end()) return frames;
    for (uint32_t id : it->second) frames.push_back(stacks_->lines[id]);
    return frames;
  }

  std::string prefix(const Event& e) {
    if (!o_.strace_lines) {
      char head[64];
      snprintf(head, sizeof head, "%6" PRIu64 " %7d  ", e.seq, e.tid);
      return head;
    }
    if (!live_.several()) return "";
    char pid[32];
    snprintf(pid, sizeof pid, "[pid %5d] ", e.tid);  // strace's width
    return pid;
  }

  std::string text(const Event& e, const decode::Call& call) const {
    if (e.kind == EventKind::kSyscall) return decode::call_text(call) + call_maker_note(e);
    return render_event_text(e, arch_);
  }

  // Recorded bytes no decoded argument showed (or all with --data), and the
  // -e read=/write= dumps.
  void buffers(const Event& e, const decode::Call& call) {
    for (size_t i = 0; i < e.mem.size(); i++) {
      const MemRecord& m = e.mem[i];
      if (m.input || (call.mem_shown[i] && !o_.data)) continue;
      char head[64];
      snprintf(head, sizeof head, "%16s <- %#llx [%zu bytes] ", "",
               static_cast<unsigned long long>(m.addr), m.bytes.size());
      std::cout << head << render_bytes(m.bytes, o_.data ? m.bytes.size() : 16) << "\n";
    }
    if (auto copied = copied_bytes(e)) {  // what the recorder read back (kernel_copy.h)
      char head[64];
      snprintf(head, sizeof head, "%16s => output [%zu bytes] ", "", copied->size());
      std::cout << head << render_bytes(std::string(*copied), o_.data ? copied->size() : 16)
                << "\n";
    }
    const auto fd = static_cast<int64_t>(static_cast<int32_t>(e.args[0]));
    if (e.ret > 0 && is_read_like(e.nr) && f_.read_fds.count(fd))
      std::cout << decode::hexdump(received(e));
    if (e.ret > 0 && sends_to_fd(e.nr) && f_.write_fds.count(fd)) written(e);
  }

  // strace -e write=: the bytes the call wrote (its result says how many of
  // those it was handed), as the replay found them.
  void written(const Event& e) {
    const std::string* sent = written_ ? written_->sent(e.seq) : nullptr;
    if (sent) {
      std::cout << decode::hexdump(sent->substr(0, static_cast<size_t>(e.ret)));
      return;
    }
    std::cout << " | (" << e.ret
              << " bytes written: rp stores only their hash, the bytes are not in the trace)\n";
  }

  const DumpOptions& o_;
  Filter f_;
  const SyscallStacks* stacks_;  // -k
  const WrittenBytes* written_;  // -e write=, when the trace could be replayed
  decode::Options dopt_;
  decode::FirstExec first_exec_;
  LiveTasks live_;
  std::string arch_;  // the recording machine's: how preempt events hold registers
  bool seen_exec_ = false;
  Clock clock_;        // --json "t"
  TimeColumns times_;  // -t/-tt/-ttt, -r, -T
};

// What only a replay finds: -k's stacks, -e write='s bytes.
struct Replayed {
  std::optional<SyscallStacks> stacks;
  std::optional<WrittenBytes> written;
  ReplayEnd end;
};

// Throws Error when the trace cannot be replayed here.
void replay_for_dump(const DumpOptions& o, const Filter& f, bool want_written, Replayed& out) {
  TraceReader trace(o.trace, /*validate=*/true, /*allow_cut=*/true);
  if (std::string why = why_not_replayable(trace); !why.empty())
    throw Error(o.stacks ? "dump -k: " + why + ": stacks need a replay" : why);
  std::vector<SyscallObserver*> observers;
  std::unique_ptr<SyscallObserver> unwinder;
  if (o.stacks) {
    out.stacks.emplace();
    unwinder = stack_observer(*out.stacks, trace, o.debug_dirs);
    observers.push_back(unwinder.get());
  }
  if (want_written) observers.push_back(&out.written.emplace(f.write_fds));
  out.end = replay_observed(trace, observers, o.stacks ? "dump -k" : "dump -e write");
}

// -k cannot do without a replay; -e write= without one (the trace cannot be
// replayed here, or the replay failed) says so and keeps the count written.
Replayed replay_if_needed(const DumpOptions& o, const Filter& f) {
  Replayed out;
  bool want_written = !f.write_fds.empty() && !o.json;  // --json has no data dumps
  if (!o.stacks && !want_written) return out;
  try {
    replay_for_dump(o, f, want_written, out);
  } catch (const Error& e) {
    if (o.stacks) throw;
    std::cerr << "rp: dump -e write=: " << e.what()
              << ": without a replay, only the count written is shown\n";
    return Replayed{};  // data read before a failure was not checked against its hash
  }
  return out;
}

}  // namespace

int dump_main(const DumpOptions& o) {
  TraceReader r(o.trace);
  check_times_recorded(o, r);
  Filter f = parse_filter(o.exprs);  // a bad -e is said before a replay, not after
  Replayed replayed = replay_if_needed(o, f);
  const std::optional<uint64_t>& stopped_at = replayed.end.stopped_at;
  Dumper d(o, r, replayed.stacks ? &*replayed.stacks : nullptr,
           replayed.written ? &*replayed.written : nullptr);
  // The state replay starts from comes before the events that follow it.
  if (o.json) {
    if (auto s = snapshot_json(r); !s.empty()) std::cout << s << "\n";
  } else {
    std::cout << snapshot_dump_text(r);
  }
  Progress progress("dump", static_cast<uint64_t>(r.count("events")));
  r.read_ahead(TraceReader::Ahead::kEvents);  // decoding the next events overlaps printing these
  Event e;
  for (uint64_t n = 1; r.next(e); n++) {
    // After a divergence: the events replayed so far, then the report.
    if (stopped_at && e.seq >= *stopped_at) break;
    d.print(e);
    progress.step(n);
  }
  if (stopped_at) {
    std::cout.flush();
    std::cerr << "rp: " << replayed.end.divergence << "\n";
    return 125;
  }
  return 0;
}

}  // namespace rp
