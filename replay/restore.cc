// Replay of an attach recording: the recorded program is started as for any
// replay (stopped after its execve), then turned into the snapshot
// (common/snapshot.h) with syscalls rp runs in it: its own mappings go, the
// snapshot's come at their addresses with their protection and contents,
// then signal actions, alternate stack, brk and auxv, and last the
// registers. The other threads are then made by clones rp runs in the main
// thread, each given its recorded registers, signal mask, alternate stack
// and clear_child_tid. The recorded events then replay from the attach
// point on, each thread's under its recorded tid.
#include <elf.h>
#include <sched.h>
#include <linux/prctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <cstring>
#include <iostream>

#include "cpuid_trap.h"
#include "inject.h"
#include "proc_maps.h"
#include "replayer.h"
#include "render.h"
#include "snapshot.h"
#include "tracee_mem.h"
#include "vdso.h"

namespace rp {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kScratchSize = 4 * kPage;  // code page + room for structures and the auxv

// Runs the syscalls of the restore; any failure is a divergence: the
// replayed process would not be the recorded one.
class Restorer {
 public:
  Restorer(pid_t pid, uint64_t insn) : pid_(pid), inj_(std::make_unique<SyscallInjector>(pid, insn)) {}
  int64_t call(const char* what, int64_t nr, std::initializer_list<uint64_t> args) {
    std::string why;
    auto r = inj_->call(nr, args, &why);
    if (!r) fail(std::string(what) + ": " + why);
    return *r;
  }
  void use_insn(uint64_t insn) { inj_ = std::make_unique<SyscallInjector>(pid_, insn); }
  void write(uint64_t addr, const std::string& bytes, const std::string& what) {
    if (!write_mem(pid_, addr, bytes)) fail("cannot write " + what);
  }
  [[noreturn]] static void fail(const std::string& why) {
    throw Divergence("cannot restore the snapshot: " + why);
  }

 private:
  pid_t pid_;
  std::unique_ptr<SyscallInjector> inj_;
};

bool overlaps_snapshot(const Snapshot& s, uint64_t addr, uint64_t size) {
  for (const auto& m : s.maps)
    if (addr < m.addr + m.size && m.addr < addr + size) return true;
  return false;
}

// A page for rp's syscall instruction and structures, where neither the
// fresh process nor the snapshot has anything.
uint64_t map_scratch(Restorer& r, const Snapshot& s) {
  for (uint64_t at = 1ull << 40; at < 1ull << 46; at += 1ull << 36) {
    if (overlaps_snapshot(s, at, kScratchSize)) continue;
    int64_t got = r.call("mmap", SYS_mmap,
                         {at, kScratchSize, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                          static_cast<uint64_t>(-1), 0});
    if (static_cast<uint64_t>(got) == at) return at;
  }
  Restorer::fail("no free address range for rp's scratch page");
}

void unmap_all_but(Restorer& r, pid_t pid, uint64_t keep) {
  for (const ProcMap& m : read_proc_maps(pid)) {
    if (m.start == keep || m.path == "[vsyscall]") continue;  // [vsyscall] is fixed, cannot go
    if (r.call("munmap", SYS_munmap, {m.start, m.size()}) != 0)
      Restorer::fail("cannot unmap " + hex(m.start) + " of the started program");
  }
}

// Writable while the contents are written (a shared mapping cannot be
// written through /proc/PID/mem otherwise), then given its protection.
void map_snapshot(Restorer& r, TraceReader& trace, const Snapshot& s) {
  constexpr uint64_t kRW = PROT_READ | PROT_WRITE;
  for (const auto& m : s.maps) {
    uint64_t flags = (m.shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED;
    if (m.path == "[stack]") flags |= MAP_GROWSDOWN;  // it may grow as in the recording
    int64_t got = r.call("mmap", SYS_mmap, {m.addr, m.size, static_cast<uint64_t>(m.prot) | kRW,
                                            flags, static_cast<uint64_t>(-1), 0});
    if (static_cast<uint64_t>(got) != m.addr)
      Restorer::fail("cannot map " + hex(m.addr) + " (" + m.path + "): mmap returned " +
                     std::to_string(got));
  }
  for (const auto& c : s.chunks) r.write(c.addr, trace.blob(c.blob), "memory at " + hex(c.addr));
  for (const auto& m : s.maps)
    if ((static_cast<uint64_t>(m.prot) | kRW) != static_cast<uint64_t>(m.prot) &&
        r.call("mprotect", SYS_mprotect, {m.addr, m.size, static_cast<uint64_t>(m.prot)}) != 0)
      Restorer::fail("cannot set the protection of " + hex(m.addr) + " (" + m.path + ")");
}

void restore_sigactions(Restorer& r, const Snapshot& s, uint64_t scratch) {
  for (const auto& a : s.sigactions) {
    r.write(scratch + kPage, a.action, "a signal action");
    if (r.call("rt_sigaction", SYS_rt_sigaction,
               {static_cast<uint64_t>(a.sig), scratch + kPage, 0, 8}) != 0)
      Restorer::fail("cannot set the action of signal " + std::to_string(a.sig));
  }
}

// What only the thread itself can set, by syscalls it runs: its alternate
// signal stack and the word the kernel clears (and wakes) when it exits,
// which pthread_join waits on.
void restore_thread_calls(Restorer& r, const SnapThread& t, uint64_t scratch) {
  if (!t.altstack.empty()) {
    r.write(scratch + kPage, t.altstack, "the alternate signal stack");
    if (r.call("sigaltstack", SYS_sigaltstack, {scratch + kPage, 0}) != 0)
      Restorer::fail("cannot set the alternate signal stack of thread " + std::to_string(t.tid));
  }
  if (t.clear_child_tid) r.call("set_tid_address", SYS_set_tid_address, {*t.clear_child_tid});
}

// A thread of the restored process, made as pthread_create makes one (its
// stack and TLS come with the registers set afterwards; CLONE_SETTLS and
// CLONE_CHILD_CLEARTID are not needed: fs base and clear_child_tid are set
// from the snapshot). It starts stopped, traced (PTRACE_O_TRACECLONE), and
// runs no code of the program before its registers are set. Returns its tid.
pid_t clone_thread(Restorer& main, const SnapThread& t) {
  constexpr uint64_t kFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                              CLONE_SYSVSEM;
  int64_t tid = main.call("clone", SYS_clone, {kFlags, 0, 0, 0, 0});
  if (tid <= 0)
    Restorer::fail("cannot create thread " + std::to_string(t.tid) + ": clone returned " +
                   std::to_string(tid));
  int status;
  pid_t got;
  do got = waitpid(static_cast<pid_t>(tid), &status, __WALL);
  while (got < 0 && errno == EINTR);
  if (got != tid || !WIFSTOPPED(status))
    Restorer::fail("thread " + std::to_string(t.tid) + " did not start stopped");
  return static_cast<pid_t>(tid);
}

// brk, the bounds /proc shows and the auxv (gdb reads it to find the
// program's load address).
void restore_mm(Restorer& r, const Snapshot& s, uint64_t scratch) {
  auto v = [&](const char* k) -> uint64_t {
    auto it = s.values.find(k);
    return it == s.values.end() ? 0 : static_cast<uint64_t>(it->second);
  };
  prctl_mm_map m{};
  m.start_code = v("start_code");
  m.end_code = v("end_code");
  m.start_data = v("start_data");
  m.end_data = v("end_data");
  m.start_brk = v("start_brk");
  m.brk = v("brk");
  m.start_stack = v("start_stack");
  m.arg_start = v("arg_start");
  m.arg_end = v("arg_end");
  m.env_start = v("env_start");
  m.env_end = v("env_end");
  m.exe_fd = static_cast<uint32_t>(-1);
  uint64_t auxv_at = scratch + 2 * kPage;
  r.write(auxv_at, s.auxv, "the auxv");
  m.auxv = reinterpret_cast<__u64*>(auxv_at);
  m.auxv_size = static_cast<uint32_t>(s.auxv.size());
  r.write(scratch + kPage, std::string(reinterpret_cast<const char*>(&m), sizeof m), "prctl_mm_map");
  int64_t ret = r.call("prctl", SYS_prctl, {PR_SET_MM, PR_SET_MM_MAP, scratch + kPage, sizeof m, 0});
  if (ret != 0)
    Restorer::fail("cannot set brk, auxv and the memory bounds (prctl PR_SET_MM_MAP: " +
                   std::string(strerror(static_cast<int>(-ret))) + ")");
}

void restore_thread(pid_t pid, const SnapThread& t) {
  Regs regs;
  std::memcpy(&regs.raw, t.regs.data(), sizeof regs.raw);
  if (!regs.write(pid)) Restorer::fail("cannot set the registers");
#if defined(__x86_64__)
  if (!t.xstate.empty()) {
    std::string xs = t.xstate;
    iovec iov{xs.data(), xs.size()};
    if (ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, &iov) != 0)
      Restorer::fail("cannot set the FP/SSE/AVX state (" + std::string(strerror(errno)) + ")");
  }
#endif
  uint64_t mask = t.sigmask;
  if (ptrace(PTRACE_SETSIGMASK, pid, sizeof mask, &mask) != 0)
    Restorer::fail("cannot set the signal mask");
}

// Without its clear_child_tid a restored thread's exit would not wake a
// pthread_join as in the recording: several threads are restored exactly
// or not at all (a lone thread's exit ends the process: nothing waits).
void require_exit_state(const TraceReader& trace, const Snapshot& s) {
  if (s.threads.size() < 2) return;
  for (const auto& t : s.threads)
    if (!t.clear_child_tid)
      throw Error(trace.path() + ": cannot restore a snapshot of " +
                  std::to_string(s.threads.size()) + " threads: it does not hold thread " +
                  std::to_string(t.tid) +
                  "'s clear_child_tid (recorded by an older rp, or on a kernel without "
                  "PR_GET_TID_ADDRESS)");
}

}  // namespace

void Replayer::start_from_snapshot(LaunchSpec& spec) {
  Snapshot s = read_snapshot(trace_);
  require_exit_state(trace_, s);
  // What the program's descriptors and working directory were then, not at
  // its start (a --ring snapshot is taken anywhere in the run).
  if (s.output_fds) {
    output_fds_.set_start_outputs(*s.output_fds);
  } else if (!quiet_) {
    std::cerr << "rp: warning: this trace's snapshot (from an older rp) does not say which "
                 "descriptors were the program's stdout and stderr: replay prints what fds 1 "
                 "and 2 write\n";
  }
  if (s.cwd) output_fds_.set_start_cwd(*s.cwd);
  else if (trace_.meta("ring_bytes")) output_fds_.set_start_cwd("");  // then: unknown
  pid_t rec = s.threads[0].tid;
  pid_t root = launch(spec);
  Task& t = tasks_[rec] = Task(rec, root, root);
  request(t, PTRACE_SYSCALL, nullptr, nullptr);
  t.state = State::kRunning;
  wait_syscall_stop(t, false);  // execve's exit stop
  if (t.state == State::kGone) throw Error("the program died while starting");
  std::string why;
  if (!patch_vdso(root, &why)) throw Error(why);
  uint64_t insn = vdso_syscall_insn(root);
  if (!insn) Restorer::fail("the started program has no vDSO to run syscalls from");
  Restorer r(root, insn);
#if defined(__x86_64__)
  // Before its threads are cloned, which inherit it (cpuid_trap.h).
  if (trap_cpuid_ && r.call("arch_prctl", SYS_arch_prctl, {kArchSetCpuid, 0}) != 0)
    Restorer::fail("cpuid cannot be made to trap");
#endif
  uint64_t scratch = map_scratch(r, s);
  r.write(scratch, std::string("\x0f\x05\xcc", 3), "rp's scratch page");  // syscall; int3
  r.use_insn(scratch);
  unmap_all_but(r, root, scratch);
  map_snapshot(r, trace_, s);
  restore_sigactions(r, s, scratch);
  restore_mm(r, s, scratch);
  restore_thread_calls(r, s.threads[0], scratch);
  for (size_t i = 1; i < s.threads.size(); i++) {
    const SnapThread& st = s.threads[i];
    pid_t real = clone_thread(r, st);
    tasks_[st.tid] = Task(st.tid, real, root);
    Restorer in_thread(real, scratch);
    restore_thread_calls(in_thread, st, scratch);
    restore_thread(real, st);
    output_fds_.on_new_task(rec, st.tid, true, true);
  }
  r.call("munmap", SYS_munmap, {scratch, kScratchSize});
  restore_thread(root, s.threads[0]);
  // The kernel's own walk of a robust list at exit looks for this run's
  // tids; rp marks the recorded ones (execute_exit), as after set_robust_list.
  for (const auto& st : s.threads)
    if (st.robust_list.value_or(0)) robust_heads_[st.tid] = *st.robust_list;
  t.state = State::kHeld;
  root_rec_ = rec;
  seq_ = 0;
}

}  // namespace rp
