#include "gdb_target.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <utility>

#include "buffers.h"
#include "counter_patch.h"
#include "gdb_exec_file.h"
#include "gdb_points.h"
#include "gdb_regs.h"
#include "gdb_server.h"
#include "render.h"
#include "tracee_mem.h"
#include "tracer_tsc.h"

namespace rp {
namespace {

// A point of the replay that a later run can find again: by its event,
// thread and (in user code) registers.
struct Position {
  enum Kind { kNone, kStart, kBefore, kTrap, kSignal, kExiting, kExec, kFork, kVforkDone };
  Kind kind = kNone;
  uint64_t seq = 0;
  pid_t tid = 0;
  Regs regs;             // kTrap
  uint64_t stretch = 0;  // the event during which `tid` last ran user code
};

// What one run of the replay is for. Reverse execution runs the replay
// again from the start (it is deterministic): a counting run finds how many
// breakpoint hits (or single steps) come before the position gdb is at,
// and the run after it stops at the last of them.
struct Goal {
  enum Kind {
    kStart,       // stop before the first instruction
    kSeq,         // stop before event `seq` (--goto)
    kCountHits,   // count breakpoint/watchpoint hits up to `from`
    kHit,         // stop at hit `n`
    kCountSteps,  // count `tid`'s single steps in stretch `seq` up to `from`
    kStep,        // stop after step `n` of `tid` in stretch `seq`
    kBefore,      // stop before event `seq`, showing `tid`
  } kind = kStart;
  Position from;
  uint64_t n = 0, seq = 0;
  pid_t tid = 0;
  std::string reason;      // for the stop reply
  bool step_back = false;  // kHit: then back one step (a write, seen backwards)
};

struct Restart {
  Goal goal;
};

// What a stop at hit n of a run knows (issue 15): hits 1..n-1 came before
// it, counted with these breakpoints and watchpoints. A reverse-continue
// from exactly there, with the same points, goes to hit n-1 in one run
// instead of counting them again first.
struct AfterHits {
  Position at;
  std::string points;       // ReplayTarget::points_key() when counted
  std::vector<bool> watch;  // watch[i]: hit i+1 was a watchpoint's
  std::vector<uint64_t> bps;  // the breakpoints in `points`
  bool watched = false;       // and whether it has watchpoints
};
struct Quit {};

enum class TrapKind { kNone, kSilent, kBreakpoint, kWatch, kStep };
struct Trap {
  TrapKind kind = TrapKind::kNone;
  std::string reason;
  Regs regs;  // the thread's, after the breakpoint's pc adjustment
};

class ReplayTarget final : public ReplayControl, public GdbBackend {
 public:
  ReplayTarget(const ReplayOptions& ro, const GdbOptions& go) : ro_(ro), go_(go) {}
  ~ReplayTarget() override {
    if (listen_fd_ >= 0) close(listen_fd_);
    for (int fd : handoff_)
      if (fd >= 0) close(fd);
  }
  int run();

  bool on_stop(Replayer& r, const ReplayStop& s) override;

  std::vector<pid_t> threads() override;
  pid_t current_thread() override;
  std::optional<std::string> read_registers(pid_t tid) override;
  bool write_registers(pid_t tid, const std::string& bytes) override;
  std::string read_memory(uint64_t addr, size_t len) override;
  bool write_memory(uint64_t addr, const std::string& bytes) override;
  int insert_point(int type, uint64_t addr, int len) override;
  bool remove_point(int type, uint64_t addr, int len) override;
  std::optional<std::string> xfer(const std::string& object, const std::string& annex) override;
  std::string monitor(const std::string& command) override;
  pid_t process_of(pid_t tid) override;
  bool detach_process(pid_t pid) override;
  bool in_debugged_memory(pid_t tid) override;

 private:
  enum class Mode { kSeek, kLive, kDetached };

  void start_run(bool rerun);
  void scan(TraceReader& t);
  void attach(pid_t tid);
  bool on_trap(pid_t tid);
  void before_event(const Event& e);
  void at_exit(pid_t tid, int64_t nr);
  void at_exec(pid_t tid);
  void at_fork(pid_t tid, pid_t child);
  void at_vfork(pid_t tid, pid_t child);
  void at_vfork_done(pid_t tid);
  void follow_child(pid_t child);
  void at_end(int status);
  void seek_trap(pid_t tid, const Trap& trap);
  void seek_check(Position::Kind k, pid_t tid);
  [[noreturn]] void found_from();
  Goal reverse_continue(const Position& at, const std::optional<AfterHits>& known);
  std::string points_key() const;
  std::optional<AfterHits> stepped_back(const Position& p);
  static bool same_position(const Position& a, const Position& b);
  [[noreturn]] void lost();
  void go_live(const std::string& reply, const Position& at);
  void report(std::string reply, const Position& at);
  void detach();
  void connect();
  void spawn_gdb();
  int accept_own_user();
  int take_handoff();
  int finish(int code, bool quit);

  std::optional<DebugTask> task(pid_t rec);
  // The debugged process; while gdb has not chosen a side of a vfork, also
  // the child, which shares the parent's memory (gdb follows either).
  bool in_root(const DebugTask& t) const {
    return t.real_tgid == root_tgid_ || (vfork_.tgid && t.real_tgid == vfork_.tgid);
  }
  int live_root_tasks();
  pid_t mem_pid();
  Position position(Position::Kind k, pid_t tid, const Regs* regs = nullptr);
  bool at(const Position& p, Position::Kind k, pid_t tid, const Regs* regs = nullptr);
  Trap classify(const DebugTask& t);
  bool stepping(pid_t rec) const;
  bool counting_hits() const;
  bool counting_steps() const;
  void prepare(bool sync_breakpoints);
  bool step_over_access(pid_t real);
  void begin_step_over(pid_t tid, uint64_t addr);
  void end_step_over();

  const ReplayOptions& ro_;
  const GdbOptions& go_;
  Replayer* r_ = nullptr;
  std::string exe_path_;
  GdbExecFiles exec_files_;
  int exit_status_ = 0;  // the recorded wait status
  int listen_fd_ = -1, port_ = 0;
  int handoff_[2] = {-1, -1};  // -g: [0] receives gdb's connection, gdb inherits [1]
  pid_t gdb_pid_ = 0;
  int gdb_status_ = 0;
  std::unique_ptr<GdbConnection> conn_;
  std::unique_ptr<GdbServer> server_;

  Mode mode_ = Mode::kSeek;
  Goal goal_;
  uint64_t count_ = 0;     // hits or steps seen in this run
  std::vector<bool> hits_;  // this run's hits so far: a watchpoint's?
  std::optional<AfterHits> after_hits_;  // about here_, if it was a hit
  std::optional<AfterHits> carry_;       // about where a reverse step started
  bool last_watch_ = false;
  Position here_;          // where gdb sees the program
  pid_t root_tgid_ = 0, root_tid_ = 0;
  pid_t step_tid_ = 0;     // gdb single-steps this thread
  struct {
    pid_t tid = 0;
    uint64_t addr = 0;
  } step_over_;            // seeking: a thread steps over a lifted breakpoint
  struct {
    pid_t tid = 0;
    EventKind kind = EventKind::kSignal;
  } prev_;                 // the event replayed last
  bool exited_ = false;
  bool attached_ = false;   // the debugged process exists and gdb sees it
  bool wait_exec_ = false;  // -p: attach at the process's first exec
  pid_t process_ = 0;       // the recorded process gdb debugs (0: the first)
  bool on_fork_ = false;    // attach where process_ is forked
  pid_t fork_child_ = 0;    // the last fork event's child, for gdb to follow
  struct {
    pid_t parent = 0, child = 0;  // recorded tids
    pid_t tgid = 0;               // the child's real tgid (in_root)
    pid_t done_tid = 0;           // gdb follows the parent: `vforkdone` for it
  } vfork_;                       // a vfork gdb was told of, until the child execs or exits
  std::map<pid_t, int> exit_statuses_;  // recorded process -> wait status
  bool forks_ = false;      // the trace has more than one process
  std::map<pid_t, pid_t> rec_tgid_;  // recorded tid -> its process
  SoftBreakpoints bps_;
  Watchpoints watches_;
  std::map<pid_t, uint64_t> armed_;  // real tid -> watchpoint generation in its DRs
  // Reverse execution replays from the start up to where gdb was: the
  // event it was at, and the progress shown on the way (progress.h).
  uint64_t seek_end_ = 0;
  uint64_t runs_ = 0;  // replay runs started, the first one included (`monitor runs`)
  std::unique_ptr<Progress> seek_progress_;
  void show_seek_progress(Replayer& r, TraceReader& trace, bool rerun);
  void end_seek_progress();
};

// ---- the runs ----

void ReplayTarget::start_run(bool rerun) {
  mode_ = Mode::kSeek;
  vfork_ = {};
  count_ = 0;
  hits_.clear();
  last_watch_ = false;
  prev_ = {};
  step_over_ = {};
  step_tid_ = 0;
  armed_.clear();
  exited_ = false;
  attached_ = false;
  root_tid_ = root_tgid_ = 0;
  bps_.forget_inserted();
  bool marker = goal_.kind == Goal::kCountHits && goal_.from.kind == Position::kTrap;
  bps_.set_marker(marker ? goal_.from.regs.ip() : 0);
  r_->set_quiet(ro_.quiet || rerun);  // a re-run's output was shown already
}

int ReplayTarget::run() {
  {
    TraceReader t(ro_.trace);
    if (std::string why = why_not_replayable(t); !why.empty()) throw Error(why);
    exe_path_ = t.meta_or("exe_path", "");
    exit_status_ = std::stoi(t.meta_or("exit_status", "0"));
    for (const auto& x : t.tasks()) {
      rec_tgid_[x.tid] = x.tgid;
      if (x.exit_status && x.tid == x.tgid) exit_statuses_[x.tid] = static_cast<int>(*x.exit_status);
    }
    process_ = go_.process;
    on_fork_ = go_.on_fork;
    scan(t);
  }
  if (go_.spawn) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, handoff_) != 0)
      throw_errno("socketpair");
  } else {
    listen_fd_ = gdb_listen(go_.port >= 0 ? go_.port : 0, &port_);
  }
  if (go_.goto_event) goal_ = Goal{Goal::kSeq, {}, 0, go_.goto_event};
  bool rerun = false;
  for (;;) {
    TraceReader trace(ro_.trace);
    auto r = std::make_unique<Replayer>(trace, ro_.quiet);
    r->set_control(this);
    r_ = r.get();
    runs_++;
    start_run(rerun);
    show_seek_progress(*r, trace, rerun);
    bool quit = false;
    try {
      int code = r->run();
      r_ = nullptr;
      return finish(code, false);
    } catch (const Restart& x) {
      goal_ = x.goal;
      rerun = true;
      // A counting run goes up to `from`; the run after it stops before
      // there (its goal has no `from` of its own). A run to the start
      // stops at once.
      if (goal_.from.kind != Position::kNone) seek_end_ = goal_.from.seq;
      if (goal_.kind == Goal::kStart) seek_end_ = 0;
    } catch (const Quit&) {
      quit = true;
    } catch (const Divergence& d) {
      if (server_) {
        server_->console(std::string("rp: ") + d.what() + "\n");
        server_->serve(exit_reply(SIGKILL));
      }
      finish(0, true);
      throw;
    }
    end_seek_progress();
    r.reset();  // kills and reaps the abandoned run's tasks
    r_ = nullptr;
    if (quit) return finish(0, true);
  }
}

// One pass over the events: does the program fork (then gdb gets fork
// events)? -p/-f: the process must be in the trace; -p waits for its first
// exec unless that is where the trace starts (or there is none).
void ReplayTarget::scan(TraceReader& t) {
  auto it = rec_tgid_.find(process_);
  if (process_ && (it == rec_tgid_.end() || it->second != process_))
    throw Error("no process " + std::to_string(process_) + " in the trace (rp ps lists them)");
  std::vector<int64_t> nrs{SYS_execve, SYS_execveat, SYS_clone, SYS_clone3};
#if defined(SYS_fork)
  nrs.insert(nrs.end(), {SYS_fork, SYS_vfork});
#endif
  bool exec_seen = false, first = true;  // the trace starts with the program's execve
  for (const Event& e : t.syscalls_with(nrs)) {
    bool is_first = std::exchange(first, false);
    if (syscall_failed(e.ret)) continue;
    bool exec = e.nr == SYS_execve || e.nr == SYS_execveat;
    if (process_ && !on_fork_ && exec && !exec_seen && rec_tgid_[e.tid] == process_) {
      exec_seen = true;
      wait_exec_ = !is_first;
    }
    bool thread = e.nr == SYS_clone && (e.args[0] & CLONE_THREAD);
    forks_ = forks_ || (!exec && !thread && e.ret > 0);
  }
}

// From here on gdb debugs the process of recorded thread `tid`; a run from
// the start (first or reverse) shows its first stop here.
void ReplayTarget::attach(pid_t tid) {
  attached_ = true;
  root_tid_ = tid;
  if (auto t = task(tid)) root_tgid_ = t->real_tgid;
  prepare(true);
  if (goal_.kind == Goal::kStart || (goal_.kind == Goal::kSeq && goal_.seq <= r_->current_seq()))
    go_live(stop_reply(SIGTRAP, tid, goal_.reason), position(Position::kStart, tid));
}

int ReplayTarget::finish(int code, bool quit) {
  server_.reset();
  conn_.reset();
  if (gdb_pid_) {
    while (waitpid(gdb_pid_, &gdb_status_, 0) < 0 && errno == EINTR) {
    }
    gdb_pid_ = 0;
    return WIFEXITED(gdb_status_) ? WEXITSTATUS(gdb_status_) : 128 + WTERMSIG(gdb_status_);
  }
  return quit ? 0 : code;
}

// ---- hooks ----

bool ReplayTarget::on_stop(Replayer& r, const ReplayStop& s) {
  r_ = &r;
  if (mode_ == Mode::kDetached) return false;
  if (s.kind == ReplayStop::kTrap) return on_trap(s.tid);
  end_step_over();
  switch (s.kind) {
    case ReplayStop::kStart:
      if (!process_ || process_ == s.tid) attach(s.tid);
      break;
    case ReplayStop::kBeforeEvent:
      if (!attached_ && !wait_exec_ && task(process_)) attach(process_);
      prepare(mode_ == Mode::kSeek);
      before_event(*s.event);
      prev_ = {s.tid, s.event->kind};
      break;
    case ReplayStop::kSignal: {
      auto t = task(s.tid);
      if (!t || !in_root(*t)) break;
      if (mode_ == Mode::kSeek)
        seek_check(Position::kSignal, s.tid);
      else if (!server_->passes(static_cast<int>(s.value)))
        report(stop_reply(static_cast<int>(s.value), s.tid), position(Position::kSignal, s.tid));
      break;
    }
    case ReplayStop::kExiting: at_exit(s.tid, s.value); break;
    case ReplayStop::kExec: at_exec(s.tid); break;
    case ReplayStop::kFork: at_fork(s.tid, static_cast<pid_t>(s.value)); break;
    case ReplayStop::kVfork: at_vfork(s.tid, static_cast<pid_t>(s.value)); break;
    case ReplayStop::kVforkDone: at_vfork_done(s.tid); break;
    case ReplayStop::kTaskGone:
      if (attached_ && live_root_tasks() == 0) at_end(static_cast<int>(s.value));
      break;
    case ReplayStop::kEnd:
      if (!attached_) throw Error("process " + std::to_string(process_) + " never ran in replay");
      at_end(exit_status_);
      break;
    case ReplayStop::kTrap: break;
  }
  return false;
}

bool ReplayTarget::on_trap(pid_t tid) {
  auto t = task(tid);
  if (!t) return false;
  Trap trap = classify(*t);
  if (trap.kind == TrapKind::kNone) return false;
  if (trap.kind == TrapKind::kSilent) return true;
  if (mode_ == Mode::kSeek) {
    seek_trap(tid, trap);
    return true;
  }
  if (trap.kind == TrapKind::kStep && tid != step_tid_) return true;
  report(stop_reply(SIGTRAP, tid, trap.reason), position(Position::kTrap, tid, &trap.regs));
  return true;
}

void ReplayTarget::before_event(const Event& e) {
  if (server_ && server_->interrupted()) {
    auto t = task(prev_.tid);
    pid_t tid = t && in_root(*t) ? prev_.tid : root_tid_;
    if (mode_ == Mode::kSeek)
      go_live(stop_reply(SIGINT, tid), position(Position::kBefore, tid));
    else
      report(stop_reply(SIGINT, tid), position(Position::kBefore, tid));
    return;
  }
  if (mode_ == Mode::kLive) {
    // A step over a syscall (or trapped instruction) ends when its event is
    // replayed: the thread is then just past the instruction.
    auto t = step_tid_ ? task(step_tid_) : std::nullopt;
    bool done = t && t->held && prev_.tid == step_tid_ &&
                (prev_.kind == EventKind::kSyscall || prev_.kind == EventKind::kInsn);
    if (done) report(stop_reply(SIGTRAP, step_tid_), position(Position::kBefore, step_tid_));
    return;
  }
  switch (goal_.kind) {
    case Goal::kSeq:
      if (e.seq >= goal_.seq) {
        auto t = task(e.tid);
        pid_t tid = t && in_root(*t) ? e.tid : root_tid_;
        go_live(stop_reply(SIGTRAP, tid), position(Position::kBefore, tid));
        return;
      }
      break;
    case Goal::kBefore:
      if (e.seq == goal_.seq) {
        pid_t tid = task(goal_.tid) ? goal_.tid : root_tid_;
        go_live(stop_reply(SIGTRAP, tid, goal_.reason), position(Position::kBefore, tid));
        return;
      }
      break;
    case Goal::kCountSteps:
    case Goal::kStep: r_->set_stepping(goal_.tid, e.seq == goal_.seq); break;
    default: break;
  }
  seek_check(Position::kBefore, 0);
}

// The program's last thread is about to leave: the end of the recording.
// rp stops there first, so that gdb can still go back.
void ReplayTarget::at_exit(pid_t tid, int64_t nr) {
  auto t = task(tid);
  if (!t || !in_root(*t) || (nr != SYS_exit_group && live_root_tasks() > 1)) return;
  Position p = position(Position::kExiting, tid);
  std::string reply = stop_reply(SIGTRAP, tid, "replaylog:end;");
  if (mode_ == Mode::kSeek) {
    if (goal_.kind == Goal::kSeq) go_live(reply, p);
    seek_check(Position::kExiting, tid);
    return;
  }
  bool first = root_tid_ == r_->root_tid();
  std::string what = first ? "the recording; the recorded program"
                           : "process " + std::to_string(root_tid_) + " in the recording; it";
  int status = first ? exit_status_ : exit_statuses_[root_tid_];
  server_->console("rp: end of " + what + " then " + render_wait_status(status) +
                   " (continue: let it exit; reverse-continue: go back)\n");
  report(reply, p);
}

// The debugged process runs a new program: gdb reads its symbols from the
// path in the stop reply and inserts its breakpoints anew.
void ReplayTarget::at_exec(pid_t tid) {
  if (!attached_ && wait_exec_ && rec_tgid_[tid] == process_) {
    attach(task(process_) ? process_ : tid);
    return;
  }
  auto t = task(tid);
  if (!t || !in_root(*t)) return;
  armed_.erase(t->real);  // exec cleared the debug registers
  if (mode_ == Mode::kSeek) {
    bps_.forget_inserted();  // gdb's breakpoints are the new program's
    prepare(true);
    seek_check(Position::kExec, tid);
    return;
  }
  // A vfork child gdb follows leaves the memory it shared: the parent's
  // copy keeps the original code (gdb then detaches the parent).
  auto parent = vfork_.child == tid ? task(vfork_.parent) : std::nullopt;
  if (parent) bps_.restore_in(parent->real);
  bps_.forget_all();
  prepare(false);
  std::string reason = "exec:" + to_hex(exec_files_.path_for(t->real)) + ";";
  report(stop_reply(SIGTRAP, tid, reason), position(Position::kExec, tid));
}

// A debugged process forked: the child must not keep the breakpoints it
// inherited; gdb (with fork events) decides whether to follow it.
void ReplayTarget::at_fork(pid_t tid, pid_t child) {
  auto t = task(tid);
  auto c = task(child);
  if (!t || !c || !in_root(*t)) return;
  bps_.restore_in(c->real);
  if (mode_ == Mode::kSeek) {
    seek_check(Position::kFork, tid);
    return;
  }
  if (!server_ || !server_->fork_events()) return;
  fork_child_ = child;
  char reason[32];
  snprintf(reason, sizeof reason, "fork:%x;", static_cast<unsigned>(child));
  report(stop_reply(SIGTRAP, tid, reason), position(Position::kFork, tid));
  fork_child_ = 0;
}

// A debugged process vforks: gdb (with vfork events) either detaches the
// child at once and waits for `vforkdone` before it puts its breakpoints
// back (it takes them out of the shared memory first), or follows the child
// and detaches the parent when the child execs. rp removes nothing itself:
// the memory is shared, gdb's Z/z packets say what it holds.
void ReplayTarget::at_vfork(pid_t tid, pid_t child) {
  auto t = task(tid);
  auto c = task(child);
  if (!t || !c || !in_root(*t)) return;
  if (mode_ == Mode::kSeek) {
    seek_check(Position::kFork, tid);
    return;
  }
  if (!server_ || !server_->vfork_events()) return;
  vfork_ = {tid, child, c->real_tgid, 0};
  char reason[32];
  snprintf(reason, sizeof reason, "vfork:%x;", static_cast<unsigned>(child));
  report(stop_reply(SIGTRAP, tid, reason), position(Position::kFork, tid));
}

// The vfork parent gdb follows is back from the kernel, before it runs any
// of its own code again.
void ReplayTarget::at_vfork_done(pid_t tid) {
  if (mode_ == Mode::kSeek) {
    // A breakpoint the child hit in the memory it shared was taken out
    // (classify); the parent must meet it again, as it does live once gdb
    // puts its breakpoints back at vforkdone.
    prepare(true);
    seek_check(Position::kVforkDone, tid);
    return;
  }
  if (tid != vfork_.done_tid) return;
  vfork_ = {};
  report(stop_reply(SIGTRAP, tid, "vforkdone:;"), position(Position::kVforkDone, tid));
}

void ReplayTarget::at_end(int status) {
  if (exited_) return;
  exited_ = true;
  if (mode_ == Mode::kSeek && goal_.kind != Goal::kSeq) lost();
  if (mode_ == Mode::kSeek) {
    go_live(exit_reply(status), Position{});
    return;
  }
  report(exit_reply(status), Position{});
}

// ---- seeking (reverse execution, --goto) ----

bool ReplayTarget::counting_hits() const {
  return mode_ == Mode::kSeek && (goal_.kind == Goal::kCountHits || goal_.kind == Goal::kHit);
}

bool ReplayTarget::counting_steps() const {
  return mode_ == Mode::kSeek && (goal_.kind == Goal::kCountSteps || goal_.kind == Goal::kStep);
}

bool ReplayTarget::at(const Position& p, Position::Kind k, pid_t tid, const Regs* regs) {
  if (p.kind != k || p.seq != r_->current_seq()) return false;
  if (k == Position::kBefore || k == Position::kStart) return true;
  return p.tid == tid && (k != Position::kTrap || (regs && regs->same_user_state(p.regs)));
}

void ReplayTarget::seek_check(Position::Kind k, pid_t tid) {
  if ((goal_.kind == Goal::kCountHits || goal_.kind == Goal::kCountSteps) && at(goal_.from, k, tid))
    found_from();
}

void ReplayTarget::seek_trap(pid_t tid, const Trap& trap) {
  bool own_step = trap.kind == TrapKind::kStep && tid == step_over_.tid;
  end_step_over();
  Position p = position(Position::kTrap, tid, &trap.regs);
  if (counting_steps()) {
    if (trap.kind != TrapKind::kStep || tid != goal_.tid || p.seq != goal_.seq) return;
    if (goal_.kind == Goal::kCountSteps) {
      if (at(goal_.from, Position::kTrap, tid, &p.regs)) found_from();
      count_++;
    } else if (++count_ == goal_.n) {
      after_hits_ = stepped_back(p);
      go_live(stop_reply(SIGTRAP, tid, goal_.reason), p);
    }
    return;
  }
  if (own_step) return;
  if (goal_.kind == Goal::kCountHits && at(goal_.from, Position::kTrap, tid, &p.regs)) found_from();
  bool hit = trap.kind == TrapKind::kWatch ||
             (trap.kind == TrapKind::kBreakpoint && bps_.is_user(p.regs.ip()));
  if (hit && counting_hits()) {
    count_++;
    last_watch_ = trap.kind == TrapKind::kWatch;
    hits_.push_back(last_watch_);
    if (goal_.kind == Goal::kHit && count_ == goal_.n) {
      // Going backwards, a write is met before it happens: one step back.
      // (Not remembered: that stop is one step before a hit, not at one.)
      if (goal_.step_back)
        throw Restart{Goal{Goal::kCountSteps, p, 0, p.stretch, tid, trap.reason}};
      after_hits_ = AfterHits{p, points_key(), {hits_.begin(), hits_.end() - 1},
                              bps_.user_addrs(), !watches_.key().empty()};
      go_live(stop_reply(SIGTRAP, tid, trap.reason), p);
      return;
    }
  }
  if (trap.kind == TrapKind::kBreakpoint) begin_step_over(tid, p.regs.ip());
}

void ReplayTarget::found_from() {
  Goal next = goal_;
  if (goal_.kind == Goal::kCountSteps) {
    // No step before it in the stretch: the previous point is the
    // thread's state before the stretch's event.
    next.kind = count_ ? Goal::kStep : Goal::kBefore;
    next.n = count_;
  } else if (count_) {
    next = Goal{Goal::kHit, {}, count_};
    // arm64: gdb steps back over the access itself (gdb_hw.h).
    next.step_back = last_watch_ && !kWatchStopsBeforeAccess;
  } else {
    next = Goal{Goal::kStart};
    next.reason = "replaylog:begin;";
  }
  throw Restart{next};
}

// The goal of a reverse-continue from `at`: count the hits before it, unless
// the run that stopped there counted them with the same points. The cached
// goal is what found_from would make of that count.
Goal ReplayTarget::reverse_continue(const Position& at, const std::optional<AfterHits>& known) {
  if (!known || !same_position(known->at, at) || known->points != points_key())
    return Goal{Goal::kCountHits, at};
  uint64_t n = known->watch.size();
  Goal g{n ? Goal::kHit : Goal::kStart, at, n};
  if (n) g.step_back = known->watch.back() && !kWatchStopsBeforeAccess;
  else g.reason = "replaylog:begin;";
  // `from` only tells the progress line where gdb was (seek_end_).
  return g;
}

// What the hit count depends on besides the position: gdb's breakpoints and
// watchpoints, and which process is debugged (in_root decides whose traps
// are hits).
std::string ReplayTarget::points_key() const {
  std::string k = std::to_string(process_) + (on_fork_ ? "f|" : "|");
  for (uint64_t a : bps_.user_addrs()) k += std::to_string(a) + ",";
  return k + "|" + watches_.key();
}

// gdb steps back over its own breakpoints (the dynamic loader's event
// breakpoint, a breakpoint whose condition failed) before it reverse-
// continues. From a remembered hit stop such a step lands one instruction
// earlier in the same stretch, with no event between: the same hits came
// before it. Not if that instruction holds a breakpoint (its hit is at the
// new position, not before it) or a watchpoint may have fired on its access.
std::optional<AfterHits> ReplayTarget::stepped_back(const Position& p) {
  std::optional<AfterHits> c = std::exchange(carry_, std::nullopt);
  if (!c || c->watched || p.seq != c->at.seq || p.tid != c->at.tid ||
      p.stretch != c->at.stretch || p.kind != Position::kTrap ||
      std::find(c->bps.begin(), c->bps.end(), p.regs.ip()) != c->bps.end())
    return std::nullopt;
  c->at = p;
  return c;
}

bool ReplayTarget::same_position(const Position& a, const Position& b) {
  return a.kind == b.kind && a.seq == b.seq && a.tid == b.tid && a.stretch == b.stretch &&
         (a.kind != Position::kTrap || a.regs.same_user_state(b.regs));
}

void ReplayTarget::lost() {
  fprintf(stderr, "rp: reverse execution lost the current position; back to the start\n");
  Goal g{Goal::kStart};
  g.reason = "replaylog:begin;";
  throw Restart{g};
}

// One instruction of a thread held at a watchpoint trap, with its watch
// registers off: the access the watchpoint stopped before.
bool ReplayTarget::step_over_access(pid_t real) {
  if (!watches_.arm(real, false)) return false;
  int st = 0;
  pid_t w = -1;
  if (ptrace(PTRACE_SINGLESTEP, real, nullptr, nullptr) == 0)
    while ((w = waitpid(real, &st, __WALL)) < 0 && errno == EINTR) {
    }
  bool stepped = w == real && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP;
  return watches_.arm(real, true) && stepped;
}

void ReplayTarget::begin_step_over(pid_t tid, uint64_t addr) {
  bps_.lift(mem_pid(), addr);
  r_->set_stepping(tid, true);
  step_over_ = {tid, addr};
}

void ReplayTarget::end_step_over() {
  if (!step_over_.tid) return;
  if (!(counting_steps() && step_over_.tid == goal_.tid)) r_->set_stepping(step_over_.tid, false);
  step_over_ = {};
  bps_.sync(mem_pid(), counting_hits(), goal_.kind == Goal::kCountHits);
}

// ---- stops shown to gdb ----

// Only re-runs (reverse execution), which are quiet: the program's output
// was shown by the run that first went there.
void ReplayTarget::show_seek_progress(Replayer& r, TraceReader& trace, bool rerun) {
  if (!rerun || !seek_end_) return;
  // Progress counts events replayed; seq numbers may have gaps.
  sql::Stmt n(trace.db(), "SELECT count(*) FROM events WHERE seq <= ?");
  n.bind(1, static_cast<int64_t>(seek_end_));
  uint64_t events = n.step() ? static_cast<uint64_t>(n.i64(0)) : 0;
  seek_progress_ = std::make_unique<Progress>("reverse execution", events, 1024,
                                              /*stdout_unused=*/true);
  r.set_progress(seek_progress_.get());
}

void ReplayTarget::end_seek_progress() {
  if (r_) r_->set_progress(nullptr);
  seek_progress_.reset();  // erases the line before gdb shows the stop
}

void ReplayTarget::go_live(const std::string& reply, const Position& at) {
  end_seek_progress();
  if (counting_steps()) r_->set_stepping(goal_.tid, false);
  end_step_over();
  mode_ = Mode::kLive;
  bps_.set_marker(0);
  r_->set_quiet(ro_.quiet);
  prepare(true);
  report(reply, at);
}

void ReplayTarget::report(std::string reply, const Position& at) {
  connect();
  for (;;) {
    if (step_tid_) r_->set_stepping(step_tid_, false);
    step_tid_ = 0;
    here_ = at;
    GdbResume a = server_->serve(reply);
    // Whatever gdb does next moves away from `at`: only a reverse-continue
    // from it may use what is known about it, and only once.
    std::optional<AfterHits> known = std::exchange(after_hits_, std::nullopt);
    carry_.reset();
    switch (a.kind) {
      case GdbResume::kContinue: return;
      case GdbResume::kStep:
        step_tid_ = a.tid ? a.tid : at.tid;
        r_->set_stepping(step_tid_, true);
        return;
      case GdbResume::kReverseContinue:
        if (at.kind != Position::kStart) throw Restart{reverse_continue(at, known)};
        break;
      case GdbResume::kReverseStep:
        // Steps back the thread gdb last saw stop (also when another is selected).
        if (at.kind != Position::kStart && at.stretch) {
          if (known && same_position(known->at, at)) carry_ = known;
          throw Restart{Goal{Goal::kCountSteps, at, 0, at.stretch, at.tid}};
        }
        break;
      case GdbResume::kDetach: detach(); return;
      case GdbResume::kGone:
        if (!exited_) throw Quit{};
        detach();
        return;
      case GdbResume::kKill: throw Quit{};
    }
    reply = stop_reply(SIGTRAP, at.tid ? at.tid : root_tid_, "replaylog:begin;");
  }
}

// The replay goes on to its end on its own.
void ReplayTarget::detach() {
  for (const auto& t : r_->debug_tasks()) {
    if (t.stopped && in_root(t)) watches_.arm(t.real, false);
    r_->set_stepping(t.rec, false);
  }
  bps_.set_marker(0);
  bps_.sync(mem_pid(), false, false);  // takes every breakpoint out
  mode_ = Mode::kDetached;
  r_->set_quiet(ro_.quiet);
}

void ReplayTarget::spawn_gdb() {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) throw_errno("readlink /proc/self/exe");
  std::string rp(self, static_cast<size_t>(n));
  if (rp.find('\'') != std::string::npos) throw Error("rp's own path has a quote: " + rp);
  std::vector<std::string> args{
      go_.gdb, "-q", "-ex",
      "target remote | exec '" + rp + "' gdb-handoff " + std::to_string(handoff_[1])};
  // Into a file or a pipe gdb wraps at 80 columns, splitting a stop line
  // from its source location for whatever reads it; a terminal sets its own.
  if (!isatty(STDOUT_FILENO)) args.insert(args.begin() + 2, {"-iex", "set width 0"});
  for (const auto& x : go_.scripts) {
    args.push_back("-x");
    args.push_back(x);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    untrap_tsc_in_child();  // forked from the replay loop (tracer_tsc.h)
    fcntl(handoff_[1], F_SETFD, 0);  // for gdb's pipe command, and only for gdb
    execvp(argv[0], argv.data());
    fprintf(stderr, "rp: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  gdb_pid_ = pid;
}

// --gdb-port: anyone on this machine can connect to 127.0.0.1; only this
// user (or root) may debug the replay, others are turned away.
int ReplayTarget::accept_own_user() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      throw_errno("accept");
    }
    long uid = tcp_peer_uid(fd);
    if (uid == static_cast<long>(geteuid()) || uid == 0) return fd;
    fprintf(stderr, "rp: refused a gdb connection from uid %ld: only uid %u may debug this replay\n",
            uid, geteuid());
    close(fd);
  }
}

int ReplayTarget::take_handoff() {
  for (;;) {
    pollfd p{handoff_[0], POLLIN, 0};
    if (poll(&p, 1, 200) > 0) break;
    if (waitpid(gdb_pid_, &gdb_status_, WNOHANG) == gdb_pid_) {
      gdb_pid_ = 0;
      throw Error("gdb exited before it connected");
    }
  }
  int fd = receive_fd(handoff_[0]);
  if (fd < 0) throw Error("gdb's connection did not arrive");
  for (int& h : handoff_) {
    close(h);
    h = -1;
  }
  return fd;
}

void ReplayTarget::connect() {
  if (server_) return;
  int fd;
  if (go_.spawn) {
    spawn_gdb();
    fd = take_handoff();
  } else {
    fprintf(stderr, "rp: waiting for gdb: (gdb) target remote :%d\n", port_);
    fd = accept_own_user();
    close(listen_fd_);
    listen_fd_ = -1;
  }
  conn_ = std::make_unique<GdbConnection>(fd);
  server_ = std::make_unique<GdbServer>(*conn_, *this);
  server_->offer_fork_events(forks_);
}

// ---- tasks, traps ----

std::optional<DebugTask> ReplayTarget::task(pid_t rec) {
  if (!r_ || !rec) return std::nullopt;
  for (const auto& t : r_->debug_tasks())
    if (t.rec == rec) return t;
  return std::nullopt;
}

int ReplayTarget::live_root_tasks() {
  int n = 0;
  for (const auto& t : r_->debug_tasks()) n += in_root(t);
  return n;
}

pid_t ReplayTarget::mem_pid() {
  pid_t any = 0;
  for (const auto& t : r_->debug_tasks()) {
    if (!in_root(t) || !t.stopped) continue;
    if (t.real == t.real_tgid) return t.real;
    if (!any) any = t.real;
  }
  return any;
}

Position ReplayTarget::position(Position::Kind k, pid_t tid, const Regs* regs) {
  Position p;
  p.kind = k;
  p.seq = r_->current_seq();
  p.tid = tid;
  if (auto t = task(tid)) {
    p.stretch = t->ran_seq;
    if (regs)
      p.regs = *regs;
    else if (k == Position::kTrap)
      p.regs.read(t->real);
  }
  return p;
}

bool ReplayTarget::stepping(pid_t rec) const {
  return rec == step_tid_ || rec == step_over_.tid || (counting_steps() && rec == goal_.tid);
}

Trap ReplayTarget::classify(const DebugTask& t) {
  siginfo_t si{};
  if (ptrace(PTRACE_GETSIGINFO, t.real, nullptr, &si) != 0) return {};
  Regs regs;
  regs.read(t.real);
  TrapCause cause = decode_trap(t.real, si, regs);
  if (cause.kind == TrapCause::kBreakInsn) {
    uint64_t at = cause.break_addr;
    if (!bps_.inserted_at(at)) return {};
    if (regs.ip() != at) {  // x86_64: back onto the int3
      regs.set_ip(at);
      regs.write(t.real);
    }
    if (in_root(t)) return Trap{TrapKind::kBreakpoint, "swbreak:;", regs};
    bps_.restore_in(t.real);  // a forked child: not debugged
    return Trap{TrapKind::kSilent};
  }
  if (cause.kind != TrapCause::kDebug) return {};
  Trap r;
  r.regs = regs;
  if (in_root(t)) {
    if (auto why = watches_.hit(cause)) {
      r.kind = TrapKind::kWatch;
      r.reason = *why;
      // Live, gdb steps over an arm64 hit (gdb_hw.h); seeking, rp does, so
      // that the replay goes on and every run counts the hit at the same
      // place, after the access as on x86_64.
      if (kWatchStopsBeforeAccess && mode_ == Mode::kSeek) {
        // A faulting access would trap again and again: stop instead.
        if (!step_over_access(t.real))
          throw Divergence("a watched access did not complete in one step at " + regs.describe());
        r.regs.read(t.real);
      }
    }
  }
  if (r.kind == TrapKind::kNone && cause.step && stepping(t.rec)) r.kind = TrapKind::kStep;
  return r;
}

// Watchpoints in every thread (new ones too); in seeking runs, the
// breakpoints that run needs, re-inserted where code was remapped.
void ReplayTarget::prepare(bool sync_breakpoints) {
  bool watch_on = mode_ == Mode::kLive || counting_hits();
  uint64_t want = watch_on ? watches_.generation() : 0;
  for (const auto& t : r_->debug_tasks()) {
    if (!in_root(t) || !t.stopped) continue;
    uint64_t& have = armed_[t.real];
    if (have != want && watches_.arm(t.real, watch_on)) have = want;
  }
  // No task to read the memory through (a vfork parent in the kernel, its
  // child not debugged): the breakpoints stay as they are. A sync through
  // no process would take them for wiped out and later "insert" them again
  // over themselves, keeping the breakpoint instruction as the original code.
  pid_t pid = sync_breakpoints ? mem_pid() : 0;
  if (pid)
    bps_.sync(pid, mode_ == Mode::kLive || counting_hits(),
              mode_ == Mode::kSeek && goal_.kind == Goal::kCountHits);
}

// ---- GdbBackend ----

std::vector<pid_t> ReplayTarget::threads() {
  std::vector<pid_t> out;
  for (const auto& t : r_->debug_tasks())
    if (in_root(t)) out.push_back(t.rec);
  auto root = std::find(out.begin(), out.end(), root_tid_);
  if (root != out.end()) std::rotate(out.begin(), root, root + 1);
  return out;
}

pid_t ReplayTarget::current_thread() {
  auto t = here_.tid ? task(here_.tid) : std::nullopt;
  return t && in_root(*t) ? here_.tid : root_tid_;
}

std::optional<std::string> ReplayTarget::read_registers(pid_t tid) {
  auto t = task(tid);
  if (!t || !t->stopped || !in_root(*t)) return std::nullopt;
  return read_gdb_regs(t->real);
}

bool ReplayTarget::write_registers(pid_t tid, const std::string& bytes) {
  after_hits_.reset();
  auto t = task(tid);
  return t && t->stopped && in_root(*t) && write_gdb_regs(t->real, bytes);
}

std::string ReplayTarget::read_memory(uint64_t addr, size_t len) {
  pid_t pid = mem_pid();
  if (!pid) return "";
  std::string data = read_mem(pid, addr, len);
  bps_.hide(addr, data);
#if defined(__aarch64__)
  show_counter_reads(addr, data);  // rp's own brk words (counter_patch.h)
#endif
  return data;
}

bool ReplayTarget::write_memory(uint64_t addr, const std::string& bytes) {
  after_hits_.reset();  // a re-run does not redo gdb's writes: stay on the safe side
  pid_t pid = mem_pid();
  if (!pid || !write_mem(pid, addr, bytes)) return false;
  bps_.written(pid, addr, bytes);
  return true;
}

int ReplayTarget::insert_point(int type, uint64_t addr, int len) {
  if (type == 0) return bps_.add_user(mem_pid(), addr) ? 1 : -1;
  if (type != 2 && type != 4) return 0;  // gdb emulates read watchpoints with access ones
  int slots = hw_watch_slots(mem_pid());
  if (slots == 0) return 0;  // none: gdb watches in software
  if (!watches_.add(type, addr, len, slots)) return -1;
  prepare(false);
  return 1;
}

bool ReplayTarget::remove_point(int type, uint64_t addr, int len) {
  if (type == 0) {
    bps_.remove_user(mem_pid(), addr);
    return true;
  }
  bool ok = watches_.remove(type, addr, len);
  prepare(false);
  return ok;
}

std::optional<std::string> ReplayTarget::xfer(const std::string& object,
                                              const std::string& annex) {
  if (object == "features" && annex == "target.xml") return gdb_target_xml();
  if (object == "exec-file") {  // annex: a pid in hex, or empty for the current process
    char* end = nullptr;
    auto pid = static_cast<pid_t>(strtol(annex.c_str(), &end, 16));
    auto t = task(pid > 0 && *end == 0 ? pid : current_thread());
    std::string path = t ? exec_files_.path_for(t->real) : "";
    return path.empty() ? exe_path_ : path;
  }
  if (object == "siginfo") {  // of the thread gdb last saw stop
    auto t = task(current_thread());
    siginfo_t si{};
    if (!t || !t->stopped || ptrace(PTRACE_GETSIGINFO, t->real, nullptr, &si) != 0)
      return std::nullopt;
    return std::string(reinterpret_cast<const char*>(&si), sizeof si);
  }
  if (object == "auxv") {
    std::ifstream f("/proc/" + std::to_string(mem_pid()) + "/auxv", std::ios::binary);
    if (!f) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  return std::nullopt;
}

std::string ReplayTarget::monitor(const std::string& command) {
  std::string c = command;
  while (!c.empty() && isspace(static_cast<unsigned char>(c.back()))) c.pop_back();
  if (c == "when")
    return "Current event: " + std::to_string(r_->current_seq()) + "\n";
  if (c == "runs")
    return "Replay runs: " + std::to_string(runs_) + "\n";
  if (c == "help" || c.empty())
    return "rp monitor commands:\n"
           "  when   the event the replay is at (see rp dump; rp replay --goto N stops there)\n"
           "  runs   how many times the replay ran from the start (reverse execution re-runs it)\n";
  return "rp: unknown monitor command '" + c + "' (monitor help)\n";
}

// From the replay's tasks (the trace's tasks table may not tell threads
// from processes): the recorded tid of the thread group's leader.
pid_t ReplayTarget::process_of(pid_t tid) {
  auto t = task(tid);
  if (!t) return tid;
  for (const auto& u : r_->debug_tasks())
    if (u.real == t->real_tgid) return u.rec;
  return tid;
}

// gdb detaches one process after a fork event: the child (it runs on
// without breakpoints), or the parent when it follows the child (after a
// vfork: once the child has exec'd). From then
// on the child is the debugged process, also for runs from the start: they
// attach where it is forked.
bool ReplayTarget::detach_process(pid_t pid) {
  if (vfork_.child && pid == process_of(vfork_.child)) {  // gdb follows the vfork parent
    vfork_ = {vfork_.parent, 0, 0, vfork_.parent};
    return false;
  }
  if (pid != process_of(root_tid_)) return false;
  pid_t child = fork_child_ ? fork_child_ : vfork_.child;
  if (!child || !task(child)) return true;
  follow_child(child);
  return false;
}

void ReplayTarget::follow_child(pid_t child) {
  after_hits_.reset();  // the position and the debugged process change
  for (const auto& t : r_->debug_tasks()) {
    if (t.stopped && in_root(t)) watches_.arm(t.real, false);
    armed_.erase(t.real);
  }
  process_ = child;
  on_fork_ = true;
  wait_exec_ = false;
  root_tid_ = child;
  root_tgid_ = task(child)->real_tgid;
  vfork_ = {};
  here_ = position(Position::kStart, child);
  prepare(true);
}

bool ReplayTarget::in_debugged_memory(pid_t tid) {
  auto t = task(tid);
  return t && in_root(*t);
}

void on_sigint(int) {}

}  // namespace

int gdb_replay_main(const ReplayOptions& ro, const GdbOptions& go) {
  if (go.spawn) {
    // Ctrl-C goes to gdb, which interrupts the replay through the protocol.
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, nullptr);
  }
  ReplayTarget target(ro, go);
  return target.run();
}

}  // namespace rp
