// Syscalls in replay: bringing a thread to its next syscall entry, checking
// the call against the recording, then emulating it (the recorded result
// and memory) or executing it for real (what shapes the tracee itself).
#include <sched.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>

#include "exec_redirect.h"
#include "launch.h"
#include "proc_maps.h"
#include "blob.h"
#include "clone_child.h"
#include "clone_untraced.h"
#include "buffers.h"
#include "remap_pieces.h"
#include "render.h"
#include "replayer.h"
#include "sandbox.h"
#include "robust_list.h"
#include "syscall_table.h"
#include "sysv_shm.h"
#include "counter_patch.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace rp {

unsigned checked_args(int64_t nr, const uint64_t args[6], int nargs) {
  unsigned all = (1u << nargs) - 1;
  if (nr != SYS_futex) return all;
  switch (args[1] & 127) {
    case 0: return 0b1111;        // WAIT: uaddr, op, val, timeout
    case 1: return 0b111;         // WAKE
    case 3: return 0b11111;       // REQUEUE
    case 6: case 13: return 0b1011;  // LOCK_PI(2): timeout
    case 7: case 8: return 0b11;  // UNLOCK_PI, TRYLOCK_PI
    case 9: return 0b101111;      // WAIT_BITSET
    case 10: return 0b100111;     // WAKE_BITSET
    case 11: return 0b11111;      // WAIT_REQUEUE_PI
    default: return all;
  }
}

bool truncates_file(const Event& e) {
  if (syscall_failed(e.ret)) return false;
  if (e.nr == SYS_ftruncate) return true;
  bool opened = e.nr == SYS_openat;
  uint64_t flags = e.nr == SYS_openat ? e.args[2] : e.args[1];
#if defined(SYS_open)
  opened = opened || e.nr == SYS_open || e.nr == SYS_creat;
  if (e.nr == SYS_creat) flags = O_TRUNC;
#endif
  return opened && (flags & O_TRUNC);
}

namespace {

uint64_t page_up(uint64_t n) {
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

// Whether a record of a file mmap or shmat is the mapping's content: an
// mmap's pieces lie in it (record/mapped_file.h: holes in between are left
// out), shmat's segment is one record at its address.
bool maps_content(const Event& e, const MemRecord& m) {
  uint64_t start = static_cast<uint64_t>(e.ret);
  uint64_t len = e.nr == SYS_mmap ? e.args[1] : 1;
  return !m.input && m.addr >= start && m.addr - start < len;
}

// How many bytes of a file mapping the recording could read (its file's
// length past the offset, rounded up to a page by the kernel's zero fill):
// where its last recorded piece ends.
uint64_t recorded_mapping_bytes(const Event& e) {
  uint64_t start = static_cast<uint64_t>(e.ret), end = start;
  for (const auto& m : e.mem)
    if (maps_content(e, m)) end = std::max(end, m.addr + m.bytes.size());
  return end - start;
}

}  // namespace

void Replayer::resume(Task& t) {
  cont(t, t.resume_sig);
  t.resume_sig = 0;
  t.held_fault = 0;
  t.state = State::kRunning;
}

int Replayer::wait(Task& t) {
  int status;
  for (;;) {
    pid_t r = waitpid(t.real, &status, __WALL);
    if (r == t.real) break;
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
  }
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    t.state = State::kGone;
    t.exit_status = status;
    t.mem.address_space_changed();
  }
  return status;
}

// Waits for a syscall stop of the wanted kind (entry/exit) while the task
// executes a syscall for real, passing over ptrace events and the exit stop
// the kernel reports for a call that PTRACE_SYSEMU skipped.
int Replayer::wait_syscall_stop(Task& t, bool want_entry) {
  for (;;) {
    int status = wait(t);
    if (t.state == State::kGone) return status;
    if (is_syscall_stop(status)) {
      if (at_syscall_entry(t) == want_entry) return status;
      resume_request(t, PTRACE_SYSCALL, 0);
      continue;
    }
    if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP && stop_event(status)) {
      return status;  // the caller handles fork/exec/exit events
    }
    // A real-world signal (e.g. SIGCHLD of a real child) the recording did
    // not have at this point: suppressed; recorded signals are injected.
    resume_request(t, PTRACE_SYSCALL, 0);
  }
}

void Replayer::reach_syscall(Task& t, const Event& e) {
  if (t.state == State::kInSyscall) finish_in_syscall(t);
  if (t.state == State::kAtSyscall) diverge(e, "thread is already stopped at another syscall");
  // Its last call was interrupted and no signal of its own followed (another
  // thread took a group signal, or a stop): the kernel restarted it.
  restart_interrupted_call(t);
  if (t.state == State::kHeld) {
    agent_arm(t, e);
    resume(t);
  }
  if (t.state != State::kRunning) diverge(e, "thread " + std::to_string(t.rec) + " has exited");
  uint64_t by_agent = 0;  // calls the agent answered before this stop
  for (;;) {
    int status = wait(t);
    // A branch into patched bytes: the thread goes on in the same run, the
    // window stays armed (draining it here would end the agent's answers).
    if (agent_interior_trap(t, status)) {
      cont(t, 0);
      continue;
    }
    by_agent += agent_drain(t);
    const Event& due = agent_due(e, by_agent);  // what it is expected to do now
    if (t.state == State::kGone)
      diverge(due, "the program " + render_wait_status(status) + ", the trace expects " +
                       render_call(due, false));
    if (at_vsyscall(t, status)) {
      // Held at this stop until its turn, if that is later: it cannot back
      // up to make the call again (the kernel kills a process whose ip
      // changes here).
      t.state = State::kAtSyscall;
      if (by_agent) {
        t.entry_unseen = true;
        return;
      }
      observe_entry(t, e.seq);
      return;
    }
    if (is_syscall_stop(status)) {
      if (!at_syscall_entry(t)) {
        cont(t, 0);
        continue;
      }
      t.regs = get_regs(t);
      t.state = State::kAtSyscall;
      if (by_agent) return agent_rewind(t);  // this call is replayed in its turn
      agent_patch_site(t, e);
      observe_entry(t, e.seq);
      return;
    }
    if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP && stop_event(status)) {
      if (stop_event(status) == PTRACE_EVENT_EXIT)
        diverge(due, "the program is exiting, the trace expects " + render_call(due, false));
      cont(t, 0);
      continue;
    }
    if (debug_trap(t, status)) {
      cont(t, 0);
      continue;
    }
    int sig = WSTOPSIG(status);
    siginfo_t si{};
    // EINVAL: a group-stop (of a stop signal the replay delivered), which
    // has no siginfo and is resumed like a real-world signal.
    if (ptrace(PTRACE_GETSIGINFO, t.real, nullptr, &si) == -1 && errno != EINVAL)
      fail(t, std::string("PTRACE_GETSIGINFO failed: ") + strerror(errno));
    if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) && si.si_code > 0)
      diverge(due, "the program got " + render_signal(sig) + " (" +
                       get_regs(t).describe() + "), the trace expects " + render_call(due, false));
    check_stray_insn_trap(t, due, status, render_call(due, false));
    cont(t, 0);  // suppress real-world signals
  }
}

// A call into x86_64's vsyscall page, stopped by replay's filter
// (common/sandbox.h): its call in t.nr, t.args, and in t.regs the skip
// (orig_rax -1) that makes the kernel return to the caller with the result
// that replay puts in rax, as at a PTRACE_SYSEMU entry stop.
bool Replayer::at_vsyscall(Task& t, int status) {
  if (!WIFSTOPPED(status) || stop_event(status) != PTRACE_EVENT_SECCOMP) return false;
  unsigned long data = 0;
  if (ptrace(PTRACE_GETEVENTMSG, t.real, nullptr, &data) != 0 || data != kVsyscallTrap) return false;
  auto c = trapped_call(t.real);
  if (!c) return false;
  t.nr = c->nr;
  std::copy(c->args, c->args + 6, t.args);
  t.regs = get_regs(t);
  return Regs::set_syscall_nr(t.real, t.regs, -1);
}

void Replayer::observe_entry(Task& t, uint64_t seq) {
  t.entry_unseen = false;
  mark_pi_waiter(t);
  if (syscall_observer_)
    syscall_observer_->at_syscall_entry({seq, t.rec, t.real, t.real_tgid, t.nr, t.args});
}

// What FUTEX_LOCK_PI does as it enters, before it blocks: a word another
// thread owns gets FUTEX_WAITERS, so that the owner's unlock goes to the
// kernel instead of freeing the word in user space. The emulated call does
// not, and replay reaches a blocking call's entry in its recorded turn,
// before the owner's unlock: the bit is set there. (A free word is taken
// without blocking: the call's recorded output gives the word.)
void Replayer::mark_pi_waiter(Task& t) {
  const uint64_t op = t.args[1] & 127;  // without FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME
  if (t.nr != SYS_futex || (op != FUTEX_LOCK_PI && op != FUTEX_LOCK_PI2)) return;
  std::string w = t.mem.read(t.args[0], 4);
  if (w.size() != 4) return;  // the call faults: EFAULT, recorded
  uint32_t word;
  std::memcpy(&word, w.data(), 4);
  const uint32_t owner = word & FUTEX_TID_MASK;
  if (!owner || owner == static_cast<uint32_t>(t.rec) || (word & FUTEX_WAITERS)) return;
  word |= FUTEX_WAITERS;
  t.mem.write(t.args[0], std::string(reinterpret_cast<const char*>(&word), 4));
}

void Replayer::check_call(Task& t, const Event& e) {
  Event actual;
  actual.nr = t.nr;
  std::memcpy(actual.args, t.args, sizeof actual.args);
  const SyscallSpec* s = syscall_spec(t.nr);
  if (s)
    for (int i = 0; s->arg_kinds[i]; i++)
      if (s->arg_kinds[i] == 's' && t.args[i])
        actual.mem.push_back(MemRecord{t.args[i], t.mem.read_cstring(t.args[i]), true});
  auto mismatch = [&](const std::string& what) {
    diverge(e, what + "\n  recorded: " + render_call(e) + "\n  replayed: " +
                   render_call(actual, false));
  };
  if (t.nr != e.nr) mismatch("a different syscall");
  if (!s) return;
  unsigned mask = checked_args(e.nr, e.args, s->nargs());
  for (int i = 0; i < s->nargs(); i++)
    if ((mask >> i & 1) && compared_arg(e.nr, i, t.args[i]) != compared_arg(e.nr, i, e.args[i]))
      mismatch("argument " + std::to_string(i + 1) + " differs");
  for (const auto& m : e.mem) {
    if (!m.input) continue;
    bool same = false;
    for (const auto& a : actual.mem)
      if (a.addr == m.addr && a.bytes == m.bytes) same = true;
    if (!same) mismatch("a string argument differs");
  }
  if (e.in_hash) {
    if (hash64(t.mem.input_bytes(*s, t.args)) != *e.in_hash)
      mismatch("the data it sends differs from the recording");
  }
}

void Replayer::write_recorded_mem(Task& t, const Event& e) {
  for (const auto& m : e.mem) {
    if (m.input) continue;
    if (!t.mem.write(m.addr, m.bytes))
      diverge(e, "cannot write the recorded " + std::to_string(m.bytes.size()) +
                     " bytes at " + std::to_string(m.addr) + " (memory layout differs)");
  }
}

namespace {

// Why a kernel copy into the output has no bytes in the trace, and what to do.
std::string missing_copy_message(const Event& e) {
  std::string name = syscall_spec(e.nr)->name;
  std::string why =
      e.ret > kMaxCopiedBytes ? "more than the recorder keeps"
      : e.nr == SYS_tee       ? "the recorder could not peek at the source pipe (another thread "
                                "or process could read it first, or it was drained)"
      : e.nr == SYS_splice    ? "out of a pipe into a pipe or terminal, they were gone when the "
                                "recorder looked (only a regular file or an output file can be "
                                "read back)"
                              : "the recorder could not read them back from the source file";
  return "the program's output through " + name + " (" + std::to_string(e.ret) +
         " bytes to fd " + std::to_string(static_cast<int>(e.args[kernel_copy_output_arg(e.nr)])) +
         ") was copied inside the kernel, never through its memory: the trace does not hold it (" +
         why +
         "), replay cannot print it; `rp replay -q` replays without printing";
}

}  // namespace

void Replayer::echo_output(Task& t, const Event& e, const std::string* sent) {
  // Nor a call its tracer made in its place: the kernel wrote nothing.
  if (quiet_ || syscall_failed(e.ret) || made_by_tracer(e)) return;
  int copy_out = kernel_copy_output_arg(e.nr);
  bool write = e.nr == SYS_write || e.nr == SYS_writev || e.nr == SYS_pwrite64;
  if (!write && copy_out < 0) return;
  int fd = output_fds_.target(e.tid, static_cast<int>(e.args[write ? 0 : copy_out]));
  if (fd == 0 || e.ret == 0) return;
  std::string data;
  if (write) {
    data = sent ? *sent : t.mem.input_bytes(*syscall_spec(e.nr), t.args);
  } else if (auto copied = copied_bytes(e)) {  // the recorder read them back (kernel_copy.h)
    data = *copied;
  } else {
    diverge(e, missing_copy_message(e));
  }
  data.resize(std::min<size_t>(data.size(), static_cast<size_t>(e.ret)));
  FILE* out = fd == 1 ? stdout : stderr;
  if (progress_ && fd == 2 && !data.empty()) {  // never a progress line inside the program's own
    progress_->clear();
    progress_->hold(data.back() != '\n');
  }
  fwrite(data.data(), 1, data.size(), out);
  fflush(out);
}

// An emulated write to a file reaches the file's shared mappings, as the
// kernel's page cache made it: at the call's offset, or for write/writev
// where the file's offset was (OutputFds follows it; unknown, the mappings
// are left as they are). Those in the replay's memfd get it there, for every
// process; the others (per process) through this process's memory.
void Replayer::write_to_shared_maps(Task& t, const Event& e) {
  bool at_offset = e.nr == SYS_pwrite64 || e.nr == SYS_pwritev ||
                   (e.nr == SYS_pwritev2 && e.args[3] != static_cast<uint64_t>(-1));
  bool at_position = e.nr == SYS_write || e.nr == SYS_writev;
  if (!(at_offset || at_position) || syscall_failed(e.ret) || e.ret == 0) return;
  int fd = static_cast<int>(e.args[0]);
  auto maps = file_maps_.find(t.real_tgid);
  uint64_t file = output_fds_.object_id(e.tid, fd);
  bool in_maps = maps != file_maps_.end() && file && maps->second.maps_shared(file);
  if (!in_maps && !shared_files_.has(file)) return;
  uint64_t off = e.args[3];
  if (at_position) {  // the offset after the write, applied already
    auto after = output_fds_.position(e.tid, fd);
    if (!after || *after < static_cast<uint64_t>(e.ret)) return;
    off = *after - static_cast<uint64_t>(e.ret);
  }
  std::string data = t.mem.input_bytes(*syscall_spec(e.nr), t.args);
  data.resize(std::min<size_t>(data.size(), static_cast<size_t>(e.ret)));
  if (!shared_files_.write(file, off, data) ||
      (in_maps && !maps->second.write_file(t.mem, file, off, data)))
    diverge(e, "cannot show the write in the file's shared mapping");
  remap_past_end(t, e, file, off + data.size(), true);  // a write past the end grows the file
}

// A file truncated (ftruncate, an open with O_TRUNC) reads zeros past its
// new end in its window, until written again; the truncating process's
// mappings of it raise SIGBUS there (remap_past_end).
void Replayer::truncate_shared_file(Task& t, const Event& e) {
  if (!truncates_file(e)) return;
  const bool opened = e.nr != SYS_ftruncate;
  int fd = static_cast<int>(opened ? e.ret : static_cast<int64_t>(e.args[0]));
  uint64_t len = opened ? 0 : e.args[1];
  uint64_t object = output_fds_.object_id(e.tid, fd);
  if (!shared_files_.truncate(object, len)) diverge(e, "cannot truncate the file's shared mapping");
  remap_past_end(t, e, object, len);
}

// fallocate punching a hole in a file or zeroing a range: its mappings read
// zeros there. (Collapsing or inserting a range, which moves the bytes after
// it, is not followed: a mapping that reads them diverges.)
void Replayer::zero_shared_range(const Event& e) {
  if (e.nr != SYS_fallocate || syscall_failed(e.ret)) return;
  if (!(e.args[1] & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))) return;
  uint64_t object = output_fds_.object_id(e.tid, static_cast<int>(e.args[0]));
  if (!shared_files_.zero(object, e.args[2], e.args[3]))
    diverge(e, "cannot zero the range in the file's shared mapping");
}

// The pages of t's mappings of `object` past its new end `len` (with
// `grow_only`, a write's end: the file is at least that long) are mapped
// past the end of the memfd, so that touching them raises SIGBUS as in the
// recording; those cut before and now inside the file again are mapped from
// its window again (each with the protection its pages have now). Another
// process's mappings keep reading zeros there: touching one diverges.
void Replayer::remap_past_end(Task& t, const Event& e, uint64_t object, uint64_t len,
                              bool grow_only) {
  auto maps = file_maps_.find(t.real_tgid);
  if (maps == file_maps_.end()) return;
  auto remaps = maps->second.on_truncate(object, len, grow_only);
  if (remaps.empty()) return;
  auto now = read_proc_maps(t.real);
  for (const auto& r : remaps) {
    for (const auto& m : now) {
      uint64_t from = std::max(m.start, r.start), to = std::min(m.end, r.end);
      if (from >= to) continue;
      std::optional<uint64_t> at = kPastEofFileSize;
      if (!r.cut) at = shared_files_.place(object, r.file_off + (from - r.start), to - from);
      uint64_t share = r.shared && !r.cut ? MAP_SHARED : MAP_PRIVATE;
      if (!at || inject_syscall(t, e, SYS_mmap, {from, to - from, static_cast<uint64_t>(m.prot()),
                                                 MAP_FIXED | share, kPastEofFd, *at}) !=
                     static_cast<int64_t>(from))
        diverge(e, "cannot map the truncated file's pages as the recording had them");
    }
  }
}

void Replayer::emulate(Task& t, const Event& e) {
  echo_output(t, e);
  write_recorded_mem(t, e);
  write_to_shared_maps(t, e);
  truncate_shared_file(t, e);
  zero_shared_range(e);
  t.regs.set_ret(e.ret);
  if (!t.regs.write(t.real)) diverge(e, "cannot set registers");
  t.state = State::kHeld;
}

// The call was skipped at this PTRACE_SYSEMU stop: back up over the syscall
// instruction and let it run again under PTRACE_SYSCALL, up to its entry stop.
void Replayer::reenter_syscall(Task& t, const Event& e) {
  Regs r = t.regs;
  r.set_ip(r.ip() - kSyscallInsnLen);
#if defined(__x86_64__)
  r.raw.rax = r.raw.orig_rax;
#endif
  set_regs(t, r);
  resume_request(t, PTRACE_SYSCALL, 0);
  wait_syscall_stop(t, true);
  if (t.state == State::kGone) diverge(e, "the program died executing " + render_call(e));
}

// Where a file mapping's bytes are in the replay's memfd (shared_files.h),
// if it has a window there: a shared mapping, or a private one of a file the
// program could write (opened for writing, or mapped shared already), whose
// pages it has not written show the file's later changes (its pages past the
// file's end then raise SIGBUS until the file grows: cut_past_eof). None for
// a device's mapping, or a private one of a file opened read only (private
// anonymous memory, or the past-EOF memfd's end if it reaches past the file's).
// A System V segment attached is its own file: every attach of one shmid
// shares it, as the kernel's segment.
std::optional<Replayer::Window> Replayer::file_window(const Event& e) {
  if (syscall_failed(e.ret)) return std::nullopt;
  Window w;
  uint64_t len = 0;
  if (e.nr == SYS_shmat) {
    w.object = kSysvObjects | static_cast<uint32_t>(e.args[0]);
    len = recorded_mapping_bytes(e);
    if (!len) return std::nullopt;  // no bytes recorded: redirect_sysv_call refuses it
  } else {
    uint64_t flags = e.args[3];
    if (e.nr != SYS_mmap || (flags & MAP_ANONYMOUS)) return std::nullopt;
    int fd = static_cast<int>(e.args[4]);
    w.object = output_fds_.object_id(e.tid, fd);
    if (!(flags & MAP_SHARED) && !shared_files_.has(w.object) && !output_fds_.writable(e.tid, fd))
      return std::nullopt;
    w.file_off = e.args[5];
    len = e.args[1];
  }
  auto at = shared_files_.place(w.object, w.file_off, len);
  if (!at) return std::nullopt;
  output_fds_.pin_object(w.object);
  w.at = *at;
  return w;
}

bool Replayer::maps_past_eof(const Event& e) const {
  return past_eof_file_ && page_up(recorded_mapping_bytes(e)) < page_up(e.args[1]);
}

// mmap for real: the mapping goes where it was. A file mapping becomes:
// - its file's window of the replay's memfd (file_window), mapped shared or
//   private as the program's was; the recorded bytes go into the window;
// - else anonymous memory (shared for a device mapped shared and writable:
//   /dev/zero) that receives them;
// - read only in part by the recording (the file ended), with no window:
//   the end of the launcher's past-EOF memfd, placed so that what was read falls inside it
//   and the rest past its end: touching that raises SIGBUS, as it did.
void Replayer::place_mapping(Task& t, const Event& e) {
  Regs m = get_regs(t);
  uint64_t flags = e.args[3];
  bool fixed = flags & MAP_FIXED;
  if (!(flags & MAP_ANONYMOUS)) {
    uint64_t readable = page_up(recorded_mapping_bytes(e));
    bool past_eof = maps_past_eof(e);
    auto window = file_window(e);
    bool shared = flags & MAP_SHARED;
    // Read only, a device's mapping stays private: its recorded bytes are
    // written through memory, which a read-only shared mapping refuses.
    bool shared_anon = !window && !past_eof && shared && (e.args[2] & PROT_WRITE);
    uint64_t share = (window && shared) || shared_anon ? MAP_SHARED : MAP_PRIVATE;
    flags = (flags & ~uint64_t{0x3}) | share | (past_eof || window ? 0 : MAP_ANONYMOUS);
    // Shared memory in place of a file's pages: the kernel does not count a
    // shared file mapping against the commit limit, so neither here (a
    // sparse 100 GiB file mapped shared would fail with ENOMEM).
    if (shared_anon) flags |= MAP_NORESERVE;
    bool memfd = past_eof || window;
    m.set_arg(4, memfd ? static_cast<uint64_t>(kPastEofFd) : static_cast<uint64_t>(-1));
    m.set_arg(5, window ? window->at : past_eof ? kPastEofFileSize - readable : 0);
  }
  if (!fixed) flags |= MAP_FIXED_NOREPLACE;
  m.set_arg(0, static_cast<uint64_t>(e.ret));
  m.set_arg(3, flags);
  set_regs(t, m);
}

// The recorded bytes of a mapping placed in its file's window go into the
// window: a read-only shared mapping cannot be written through memory, and
// a private one would no longer show the file's changes.
void Replayer::write_mapped_bytes(Task& t, const Event& e) {
  auto window = file_window(e);
  if (!window) return write_recorded_mem(t, e);
  const uint64_t start = static_cast<uint64_t>(e.ret);
  for (const auto& m : e.mem) {  // the file's pieces (record/mapped_file.h)
    if (m.input) continue;
    bool ok = maps_content(e, m)
                  ? shared_files_.write(window->object, window->file_off + (m.addr - start), m.bytes)
                  : t.mem.write(m.addr, m.bytes);
    if (!ok) diverge(e, "cannot write the recorded bytes of the shared mapping");
  }
}

// The registers a call was given stay as the program set them (`entry`, at
// the call's entry stop), as after the real call: replay may have rewritten
// some for the call it ran instead (a mapping's address, flags and
// descriptor; shmat and shmdt as mmap and munmap; a clone's namespace flags,
// which its child inherits too), and a switch recorded right after the call
// compares every register. `after` are t's registers after the call.
void Replayer::restore_call_args(Task& t, const Regs& entry, Regs& after) {
  Regs r = after;
#if defined(__x86_64__)
  r.raw.rdi = entry.raw.rdi;
  r.raw.rsi = entry.raw.rsi;
  r.raw.rdx = entry.raw.rdx;
  r.raw.r10 = entry.raw.r10;
  r.raw.r8 = entry.raw.r8;
  r.raw.r9 = entry.raw.r9;
#elif defined(__aarch64__)
  for (int i = 1; i < 6; i++) r.raw.regs[i] = entry.raw.regs[i];  // x0 is the result
#endif
  if (std::memcmp(&r.raw, &after.raw, sizeof r.raw) == 0) return;
  set_regs(t, r);
  after = r;
}

// An mremap that grew a mapping in its file's window: the new part shows the
// window, so the bytes the recording saw there go into the window, at their
// file offsets (a read-only shared mapping cannot be written through memory,
// and the window may not hold them: the file was written before it had one).
bool Replayer::write_grown_window(const FileMaps& fmaps, const Event& e) {
  if (e.nr != SYS_mremap || syscall_failed(e.ret)) return false;
  auto ranges = fmaps.overlapping(e.args[0], 1);
  if (ranges.empty() || !ranges[0].in_window) return false;
  const FileMaps::Range& r = ranges[0];
  const uint64_t off = r.file_off + (e.args[0] - r.map_start);  // the file offset at args[0]
  for (const auto& m : e.mem)
    if (!m.input && !shared_files_.write(r.file, off + (m.addr - static_cast<uint64_t>(e.ret)), m.bytes))
      diverge(e, "cannot write the recorded bytes of the grown shared mapping");
  return true;
}

// The recorded mremap over a range replay holds as several mappings where
// the recording's kernel had one (remap_pieces.h); `after`: the registers
// after the real call, which refused it. Left as they are (replay diverges
// on them) where it is not such a call.
void Replayer::remap_piecewise(Task& t, const Event& e, Regs& after) {
  auto steps = remap_in_pieces(read_proc_maps(t.real), e.args[0], e.args[1], e.args[2],
                               e.args[3], static_cast<uint64_t>(e.ret));
  if (!steps) return;
  for (const RemapStep& s : *steps) {
    const uint64_t want = s.flags ? s.to : s.from;
    if (inject_syscall(t, e, SYS_mremap, {s.from, s.len, s.new_len, s.flags, s.to}) !=
        static_cast<int64_t>(want))
      diverge(e, "cannot redo the recorded mremap one mapping at a time");
  }
  after = get_regs(t);
  after.set_ret(e.ret);
  set_regs(t, after);
}

void Replayer::execute(Task& t, const Event& e) {
  const SyscallSpec* s = syscall_spec(e.nr);
  reenter_syscall(t, e);
  if (s->policy == RP_POLICY_MMAP) place_mapping(t, e);
  if (e.nr == SYS_execveat && e.ret == 0) {  // its descriptor was never opened in replay
    std::string why;
    redirect_fd_exec(t.real, &why);
    if (!why.empty()) diverge(e, why);
  }
  if (is_sysv_attach_or_detach(e.nr)) {  // never the host's segment
    auto window = file_window(e);
    std::string why = redirect_sysv_call(t.real, e, window ? std::optional(window->at) : std::nullopt);
    if (!why.empty()) diverge(e, why);
  }
  FileMaps& fmaps = file_maps_[t.real_tgid];
  // MADV_DONTNEED_LOCKED (24) drops pages too.
  bool drops_pages = e.nr == SYS_madvise && (e.args[2] == MADV_DONTNEED || e.args[2] == 24);
  FileMaps::Saved saved;
  if (drops_pages) saved = fmaps.save_shared(t.mem, e.args[0], e.args[1]);
  resume_request(t, PTRACE_SYSCALL, 0);
  if (s->policy == RP_POLICY_EXECVE && e.ret == 0) let_exec_end_others(t);
  for (;;) {
    int status = wait_syscall_stop(t, false);
    if (t.state == State::kGone) diverge(e, "the program died executing " + render_call(e));
    if (is_syscall_stop(status)) break;
    resume_request(t, PTRACE_SYSCALL, 0);  // exec event: the exit stop follows
  }
  if (s->policy == RP_POLICY_EXECVE) t.mem.address_space_changed();
  Regs after = get_regs(t);
  if (e.nr == SYS_set_tid_address) {
    // Returns the caller's tid: the program must see the recorded one.
    after.set_ret(e.ret);
    set_regs(t, after);
  }
  if (s->policy != RP_POLICY_EXECVE && s->policy != RP_POLICY_SIGRETURN)
    restore_call_args(t, t.regs, after);
  if (e.nr == SYS_mremap && after.ret() == -EFAULT && !syscall_failed(e.ret))
    remap_piecewise(t, e, after);
  if (s->policy != RP_POLICY_SIGRETURN && after.ret() != e.ret)
    diverge(e, "executing it for real gave " + render_return(after.ret()) + "\n  recorded: " +
                   render_call(e));
  if (s->policy == RP_POLICY_MMAP || e.nr == SYS_shmat)
    write_mapped_bytes(t, e);
  else if (!write_grown_window(fmaps, e))
    write_recorded_mem(t, e);
  track_file_maps(t, e);
  cut_past_eof(t, e);
  sweep_mapped_code(t, e);
  if (drops_pages && !fmaps.restore(t.mem, e.args[0], e.args[1], saved, trace_))
    diverge(e, "cannot restore the file pages madvise dropped");
  if (s->policy == RP_POLICY_SIGRETURN && t.mask_after_sigreturn) {
    uint64_t m = *t.mask_after_sigreturn;
    ptrace(PTRACE_SETSIGMASK, t.real, sizeof m, &m);
  }
  if (s->policy == RP_POLICY_SIGRETURN || e.nr == SYS_rt_sigprocmask)
    t.mask_after_sigreturn.reset();  // restored, or the program set its own mask
  if (s->policy == RP_POLICY_EXECVE) {
    agent_on_exec(t.real_tgid, t.real);
    t.real_tgid = t.real;
    std::string why;  // patched at the same stop as in the recording
    if (!patch_exec_image(t.real, exec_code(t, e), &why)) diverge(e, why);
    t.rp_call_due = trap_cpuid_;
  }
  t.regs = after;
  t.state = State::kHeld;
  if (s->policy == RP_POLICY_EXECVE) notify(ReplayStop::kExec, t.rec);
}

// Which replayed ranges stand for file mappings (replay/file_maps.h).
void Replayer::track_file_maps(Task& t, const Event& e) {
  if (syscall_failed(e.ret)) return;
  uint64_t flags = e.args[3];
  uint64_t file = output_fds_.object_id(e.tid, static_cast<int>(e.args[4]));
  if (e.nr == SYS_mmap && !(flags & MAP_ANONYMOUS))
    file_maps_[t.real_tgid].on_file_mmap(static_cast<uint64_t>(e.ret), e.args[1],
                                         flags & MAP_SHARED, e.seq, file, e.args[5],
                                         file_window(e).has_value());
  else if (e.nr == SYS_mmap)
    file_maps_[t.real_tgid].forget(static_cast<uint64_t>(e.ret), e.args[1]);
  else if (e.nr == SYS_munmap)
    file_maps_[t.real_tgid].forget(e.args[0], e.args[1]);
  else if (e.nr == SYS_mremap)
    file_maps_[t.real_tgid].on_mremap(e.args[0], e.args[1], e.args[2],
                                      static_cast<uint64_t>(e.ret));
  else if (e.nr == SYS_execve || e.nr == SYS_execveat)
    file_maps_.erase(t.real_tgid);
}

// A mapping placed in its file's window, or grown by mremap in it, that
// reaches past the file's end (the recording read less than the call
// mapped: the file ended there): its pages past the end raise SIGBUS as the
// recording's did, until the file grows over them (remap_past_end maps them
// from the window again then).
void Replayer::cut_past_eof(Task& t, const Event& e) {
  if (syscall_failed(e.ret)) return;
  const uint64_t start = static_cast<uint64_t>(e.ret);
  uint64_t from = start, end = start;  // the part the call mapped
  if (e.nr == SYS_mmap && !(e.args[3] & MAP_ANONYMOUS)) {
    end = start + page_up(e.args[1]);
  } else if (e.nr == SYS_mremap && e.args[2] > e.args[1]) {
    from = start + page_up(e.args[1]);
    end = start + page_up(e.args[2]);
  }
  if (from >= end || !past_eof_file_) return;
  auto ranges = file_maps_[t.real_tgid].overlapping(from, 1);
  // Cut before `from` already: the pages past it extend the past-EOF mapping.
  if (ranges.empty() || !ranges[0].in_window || ranges[0].cut_at < from) return;
  uint64_t file_end = from;  // where the recorded bytes of that part end
  for (const auto& m : e.mem)
    if (!m.input && m.addr >= from && m.addr < end) file_end = std::max(file_end, m.addr + m.bytes.size());
  if (page_up(file_end) >= end) return;
  const FileMaps::Range& r = ranges[0];
  remap_past_end(t, e, r.file, r.file_off + (file_end - r.map_start));
}

// The recorder patched the counter reads of the private file code this call
// made executable (counter_patch.h): the same words here. The exec'd images
// are files in replay too (/proc/PID/maps); mmap'ed files are anonymous
// memory that file_maps_ knows.
void Replayer::sweep_mapped_code(Task& t, const Event& e) {
  auto r = exec_map_range(e.nr, e.args, e.ret);
  if (!r) return;
  const bool recorder_swept = sweep_notes().mapped;
  if (!recorder_swept && !rdtsc_patched()) return;  // recorded by an rp that did not patch them
  std::vector<CodeRange> mapped = mapped_code(t.real, r->addr, r->addr + r->len);
  for (const FileMaps::Range& f : file_maps_[t.real_tgid].overlapping(r->addr, r->len))
    if (!f.shared) mapped.push_back(CodeRange{f.start, f.end - f.start});
  std::sort(mapped.begin(), mapped.end(),
            [](const CodeRange& a, const CodeRange& b) { return a.addr < b.addr; });
  mapped = clip_ranges(mapped, {*r});
  std::string why;
  // A recorder that did not sweep mapped code (rp record -p beside a kernel
  // backend) noted nothing: whole mappings, as before notes existed.
  if (recorder_swept) mapped = noted_code(t, e, r->addr, r->addr + r->len, mapped);
  if (!patch_counter_reads_in(t.real, mapped, &why)) diverge(e, why);
}

Replayer::SweepNotes& Replayer::sweep_notes() {
  if (sweep_notes_) return *sweep_notes_;
  SweepNotes& s = sweep_notes_.emplace();
  s.mapped = trace_.meta("counter_reads_mapped").has_value();
  s.noted = trace_.meta(kCounterCodeNoted).has_value();
  if (s.noted)
    for (const std::string& item : trace_.list(kCounterCode)) {
      std::optional<NotedSweep> n = parse_code_sweep(item);
      if (!n) throw Error("damaged trace: counter_code list item '" + item.substr(0, 60) + "'");
      s.by_tid[n->tid].push_back(std::move(*n));
    }
  return s;
}

std::vector<CodeRange> Replayer::noted_code(Task& t, const Event& e, uint64_t lo, uint64_t hi,
                                            const std::vector<CodeRange>& allowed) {
  SweepNotes& notes = sweep_notes();
  if (!notes.noted) return allowed;  // a trace from before: whole mappings
  std::deque<NotedSweep>& q = notes.by_tid[t.rec];
  // Killed at this call's exit stop before rp swept (rp record
  // --end-with-program, a SIGKILL): its process ran nothing after it.
  if (q.empty() && !trace_.process_acts_after(t.rec, e.seq)) return {};
  if (q.empty() || q.front().lo != lo || q.front().hi != hi)
    diverge(e, "the trace notes no code for this sweep of counter reads (thread " +
                   std::to_string(t.rec) + ", " + hex(lo) + "-" + hex(hi) + ")");
  const std::vector<CodeRange> code = clip_ranges(q.front().ranges, allowed);
  q.pop_front();
  return code;
}

std::vector<CodeRange> Replayer::exec_code(Task& t, const Event& e) {
  if (!patches_counter_reads()) return {};
  return noted_code(t, e, 0, UINT64_MAX, mapped_code(t.real, 0, UINT64_MAX));
}

// The recorded tid of the task a clone made (clone_child.h).
pid_t Replayer::recorded_child(const Task& t, const Event& e) {
  const bool thread = e.nr == SYS_clone && (e.args[0] & CLONE_THREAD);
  return clone_child(recorded_tasks(), t.rec, thread, e.seq, e.ret,
                     [&](pid_t rec) { return tasks_.count(rec) != 0; });
}

// A clone into new namespaces runs without them: every call that could see
// a namespace is emulated in replay, and the sandbox, which has no
// capabilities, would refuse to make them.
void Replayer::drop_namespace_flags(Task& t) {
  constexpr uint64_t kNamespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                   CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
  Regs r = get_regs(t);
  if (r.arg(0) & kNamespaces) {
    r.set_arg(0, r.arg(0) & ~kNamespaces);
    set_regs(t, r);
  }
}

void Replayer::execute_clone(Task& t, const Event& e) {
  reenter_syscall(t, e);
  if (e.nr == SYS_clone) drop_namespace_flags(t);
  // Its child must stay traced; the registers then show the flags the
  // recorded clone ran with, which lacked it too (common/clone_untraced.h).
  if (clear_clone_untraced(t.real, e.nr)) t.regs = get_regs(t);
  resume_request(t, PTRACE_SYSCALL, 0);
  int status = wait_syscall_stop(t, false);
  if (t.state == State::kGone) diverge(e, "the program died in " + render_call(e));
  int ev = stop_event(status);
  if (is_syscall_stop(status) || (ev != PTRACE_EVENT_CLONE && ev != PTRACE_EVENT_FORK &&
                                  ev != PTRACE_EVENT_VFORK))
    diverge(e, "the clone did not create a task in replay");
  unsigned long msg = 0;
  request(t, PTRACE_GETEVENTMSG, nullptr, &msg);
  uint64_t flags = e.nr == SYS_clone ? e.args[0] : 0;
  pid_t child = static_cast<pid_t>(msg);
  pid_t rec_child = recorded_child(t, e);
  Task& c = tasks_[rec_child] =
      Task(rec_child, child, (flags & CLONE_THREAD) ? t.real_tgid : child);
  output_fds_.on_new_task(t.rec, c.rec, flags & CLONE_FILES, flags & CLONE_FS);
  // It may run from the call's entry on: its first point's search has the
  // time since then (point_search_limits).
  if (auto ns = e.began_ns()) c.last_event_ns = ns;
  bool copies_memory = e.nr == SYS_clone && !(flags & CLONE_VM);  // else: shared, or unknown
#if defined(SYS_fork)
  copies_memory = copies_memory || e.nr == SYS_fork;
#endif
  agent_on_clone(t, c, !copies_memory);
  // The child starts with a SIGSTOP, which is not delivered.
  int cs;
  while (waitpid(c.real, &cs, __WALL) < 0)
    if (errno != EINTR) diverge(e, std::string("cannot wait for the new task: ") + strerror(errno));
  c.state = State::kHeld;
  Regs child_regs = get_regs(c);
  restore_call_args(c, t.regs, child_regs);
  // The program must see the recorded tid wherever the kernel wrote the real
  // one: the parent's view of it (the clone's result) for the parent, the
  // child's own (its number in its own pid namespace, if it has one) for it.
  uint32_t rec_tid = static_cast<uint32_t>(e.ret);
  std::string tid_bytes(reinterpret_cast<const char*>(&rec_tid), 4);
  if ((flags & CLONE_PARENT_SETTID) && e.args[2]) t.mem.write(e.args[2], tid_bytes);
  if ((flags & CLONE_CHILD_SETTID) && e.args[kCloneChildTidArg]) {
    if (!namespace_tids_) namespace_tids_ = trace_.namespace_tids();
    auto own = namespace_tids_->find(rec_child);
    uint32_t child_view = own != namespace_tids_->end() ? static_cast<uint32_t>(own->second) : rec_tid;
    c.mem.write(e.args[kCloneChildTidArg],
                std::string(reinterpret_cast<const char*>(&child_view), 4));
  }
  if (flags & CLONE_PIDFD)  // the recorded descriptor's number, not this run's
    for (const auto& m : e.mem)
      if (!m.input && m.addr == e.args[2] && !t.mem.write(m.addr, m.bytes))
        diverge(e, "cannot write the recorded pidfd where the clone stored it");
  t.fixup_ret = e.ret;
  // A vfork parent stays in the kernel until the child execs or exits, so
  // its exit stop is collected when its next event comes. A debugger sees
  // the vfork here, the last stop where the parent's registers are readable.
  bool vfork = flags & CLONE_VFORK;
#if defined(SYS_vfork)
  vfork = vfork || e.nr == SYS_vfork;
#endif
  if (vfork) notify(ReplayStop::kVfork, t.rec, c.rec);
  if (vfork) c.vfork_parent = t.rec;
  resume_request(t, PTRACE_SYSCALL, 0);
  t.state = State::kInSyscall;
  t.in_vfork = vfork;
  if (vfork) return;
  finish_in_syscall(t);
  if (!(flags & CLONE_THREAD) && t.state == State::kHeld) notify(ReplayStop::kFork, t.rec, c.rec);
}

void Replayer::finish_in_syscall(Task& t) {
  for (;;) {
    int status = wait_syscall_stop(t, false);
    if (t.state == State::kGone) return;
    if (is_syscall_stop(status)) break;
    resume_request(t, PTRACE_SYSCALL, 0);
  }
  Regs after = get_regs(t);
  after.set_ret(t.fixup_ret);
  set_regs(t, after);
  restore_call_args(t, t.regs, after);
  t.regs = after;
  t.state = State::kHeld;
  if (std::exchange(t.in_vfork, false)) notify(ReplayStop::kVforkDone, t.rec);
}

// The kernel's walk of a dying thread's robust list looks for this run's
// tid, the futex words hold the recorded one: rp marks them (robust_list.h)
// while the thread's memory is still there. Once: a thread killed later
// stops at no PTRACE_EVENT_EXIT, so the walk is done before it dies.
void Replayer::mark_robust_dead(Task& t) {
  auto head = robust_heads_.find(t.rec);
  if (head == robust_heads_.end()) return;
  mark_robust_futexes_dead(t.mem, head->second, static_cast<uint32_t>(t.rec));
  robust_heads_.erase(head);
}

const std::vector<TaskInfo>& Replayer::recorded_tasks() {
  if (recorded_tasks_.empty()) recorded_tasks_ = trace_.tasks();
  return recorded_tasks_;
}

// A tid the recording saw end may have been used again: the task that had
// it at `seq` is the last one created by then.
std::optional<int64_t> Replayer::recorded_end(pid_t rec, uint64_t seq) {
  const TaskInfo* found = nullptr;
  for (const auto& ti : recorded_tasks())
    if (ti.tid == rec && ti.first_seq <= seq && (!found || ti.first_seq >= found->first_seq))
      found = &ti;
  return found ? found->exit_status : std::nullopt;
}

// Entered exit_group, and the trace ends the thread by a signal: the signal
// was pending at the entry (the kernel then skips the call: a SIGKILL of
// rp record --end-with-program racing the exit), or another thread's fatal
// signal had begun the group's end first; once an exit_group has begun, no
// signal changes the group's status. Either way the call decided nothing:
// the thread waits at its entry for its recorded end, where observe_exit
// delivers that signal. Run, the call would end it with its own code. (Not
// exit: a leader's exit lets the others run on, and the group's signal
// status, reported for it later, says nothing about its own call.)
bool Replayer::killed_in_exit_group(const Task& t, const Event& e) {
  std::optional<int64_t> end = recorded_end(t.rec, e.seq);
  return e.nr == SYS_exit_group && end && WIFSIGNALED(static_cast<int>(*end));
}

void Replayer::execute_exit(Task& t, const Event& e) {
  // Run it into the kernel's exit path and hold it at PTRACE_EVENT_EXIT,
  // before the kernel clears its tid for pthread_join: other threads' user
  // code may still see it alive, as it did until the recorded end (kTaskExit).
  // PTRACE_SYSEMU already skipped the call at this stop: enter it again.
  reenter_syscall(t, e);
  resume_request(t, PTRACE_CONT, 0);
  for (;;) {
    int status = wait(t);
    if (t.state == State::kGone) return;
    if (WIFSTOPPED(status) && stop_event(status) == PTRACE_EVENT_EXIT) break;
    resume_request(t, PTRACE_CONT, 0);
  }
  mark_robust_dead(t);
  t.state = State::kExiting;
  // A vfork child releases its parent only further on (exit_mm), and the
  // parent's return from vfork may be recorded before the child's end: held
  // here, the child would keep the parent in the kernel for good. No thread
  // shares its tid word, so nothing needs it held.
  auto parent = tasks_.find(t.vfork_parent);
  if (t.vfork_parent && parent != tasks_.end() && parent->second.in_vfork) {
    resume_request(t, PTRACE_CONT, 0);
    t.state = State::kRunning;
  }
}

}  // namespace rp
