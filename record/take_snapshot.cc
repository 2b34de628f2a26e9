#include "take_snapshot.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "cow_copy.h"
#include "error.h"
#include "inject.h"
#include "proc_maps.h"
#include "snapshot.h"
#include "tracee.h"
#include "tracee_mem.h"
#include "unique_fd.h"
#include "vdso.h"

namespace rp {
namespace {

std::string proc(pid_t pid, const char* what) {
  return "/proc/" + std::to_string(pid) + "/" + what;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// /proc/PID/maps, without what the kernel provides by itself at fixed or
// special places and replay cannot map: [vvar*] (the kernel's clock data,
// read only through the vDSO, whose clock entries rp patches) and [vsyscall].
std::vector<SnapMap> read_maps(pid_t pid) {
  std::optional<std::string> bad_line;
  std::vector<ProcMap> maps = read_proc_maps(pid, &bad_line);
  if (bad_line) throw Error("attach: cannot parse " + proc(pid, "maps") + ": " + *bad_line);
  std::vector<SnapMap> out;
  for (ProcMap& pm : maps) {
    if (pm.path.rfind("[vvar", 0) == 0 || pm.path == "[vsyscall]") continue;
    SnapMap m;
    m.addr = pm.start;
    m.size = pm.size();
    m.prot = pm.prot();
    m.shared = pm.shared();
    m.offset = pm.offset;
    m.path = std::move(pm.path);
    out.push_back(std::move(m));
  }
  return out;
}

bool all_zero(const char* p, size_t n) {
  static const char zeros[4096] = {};
  return n <= sizeof zeros && std::memcmp(p, zeros, n) == 0;
}

// The start addresses of the mappings a fork does not copy as they are:
// VmFlags "dc" (MADV_DONTFORK: absent in the child) and "wf"
// (MADV_WIPEONFORK: zeroes there), from /proc/PID/smaps.
std::set<uint64_t> not_copied_on_fork(pid_t pid) {
  std::ifstream f(proc(pid, "smaps"));
  std::set<uint64_t> out;
  uint64_t start = 0;
  for (std::string line; std::getline(f, line);) {
    if (auto m = parse_maps_line(line)) {
      start = m->start;
    } else if (line.rfind("VmFlags:", 0) == 0) {
      std::istringstream in(line.substr(8));
      for (std::string flag; in >> flag;)
        if (flag == "dc" || flag == "wf") out.insert(start);
    }
  }
  return out;
}

// Fields of /proc/PID/stat, numbered as in proc(5) (after the command name,
// which may hold spaces, field 3 comes first).
std::vector<std::string> stat_fields(pid_t pid) {
  std::string s = slurp(proc(pid, "stat"));
  size_t close = s.rfind(')');
  if (close == std::string::npos) throw Error("attach: cannot parse " + proc(pid, "stat"));
  std::vector<std::string> out{"", "", ""};
  std::istringstream in(s.substr(close + 1));
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

void read_values(Snapshot& s, pid_t pid) {
  auto f = stat_fields(pid);
  const std::pair<const char*, size_t> fields[] = {
      {"start_code", 26}, {"end_code", 27},  {"start_stack", 28}, {"start_data", 45},
      {"end_data", 46},   {"start_brk", 47}, {"arg_start", 48},   {"arg_end", 49},
      {"env_start", 50},  {"env_end", 51},
  };
  for (auto [key, i] : fields) {
    if (i >= f.size()) throw Error("attach: " + proc(pid, "stat") + " is too short");
    s.values[key] = static_cast<int64_t>(std::stoull(f[i]));
  }
  if (auto v = find_vdso(pid, nullptr)) s.values["vdso"] = static_cast<int64_t>(v->addr);
  s.auxv = slurp(proc(pid, "auxv"));
}

// What only a syscall in the process tells: brk, the actions of the signals
// that are not at their default, each thread's alternate signal stack. The
// answers are written below the stack pointer (beyond the red zone), whose
// bytes are put back afterwards.
class Asker {
 public:
  Asker(pid_t tid, uint64_t insn) : inj_(tid, insn), tid_(tid) {
    Regs r;
    if (!r.read(tid)) throw Error("attach: cannot read the registers of thread " + std::to_string(tid));
    scratch_ = (r.sp() - 4096) & ~uint64_t{63};
    saved_ = read_mem(tid, scratch_, 64);
  }
  int64_t call(int64_t nr, std::initializer_list<uint64_t> args) {
    std::string why;
    auto r = inj_.call(nr, args, &why);
    if (!r) throw Error("attach: " + why);
    return *r;
  }
  std::string answer(size_t n) { return read_mem(tid_, scratch_, n); }
  uint64_t scratch() const { return scratch_; }
  void finish() {
    std::string why;
    if (!write_mem(tid_, scratch_, saved_) || !inj_.restore(&why))
      throw Error("attach: cannot put thread " + std::to_string(tid_) + " back: " + why);
  }

 private:
  SyscallInjector inj_;
  pid_t tid_;
  uint64_t scratch_ = 0;
  std::string saved_;
};

void ask_process(Snapshot& s, pid_t tgid, uint64_t insn) {
  Asker a(tgid, insn);
  s.values["brk"] = a.call(SYS_brk, {0});
  const std::string status = proc_status(tgid);
  uint64_t set = status_field(status, "SigCgt", 16).value_or(0) |
                 status_field(status, "SigIgn", 16).value_or(0);
  for (int sig = 1; sig <= 64; sig++) {
    if (!(set & (1ull << (sig - 1))) || sig == SIGKILL || sig == SIGSTOP) continue;
    if (a.call(SYS_rt_sigaction, {static_cast<uint64_t>(sig), 0, a.scratch(), 8}) != 0) continue;
    s.sigactions.push_back(SnapSigaction{sig, a.answer(kSigactionBytes)});
  }
  a.finish();
}

SnapThread thread_state(pid_t tid, uint64_t insn) {
  SnapThread t;
  t.tid = tid;
  Regs regs;
  if (!regs.read(tid)) throw Error("attach: cannot read the registers of thread " + std::to_string(tid));
  t.regs.assign(reinterpret_cast<const char*>(&regs.raw), sizeof regs.raw);
#if defined(__x86_64__)
  std::string xs(kMaxXstateBytes, '\0');
  iovec iov{xs.data(), xs.size()};
  if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) != 0)
    throw Error("attach: cannot read the FP/SSE/AVX state of thread " + std::to_string(tid));
  t.xstate = xs.substr(0, iov.iov_len);
#endif
  if (ptrace(PTRACE_GETSIGMASK, tid, sizeof t.sigmask, &t.sigmask) != 0)
    throw Error("attach: cannot read the signal mask of thread " + std::to_string(tid));
  Asker a(tid, insn);
  if (a.call(SYS_sigaltstack, {0, a.scratch()}) == 0) {
    std::string ss = a.answer(kStackTBytes);
    int flags;
    std::memcpy(&flags, ss.data() + 8, sizeof flags);
    if (!(flags & SS_DISABLE)) t.altstack = ss;
  }
  // The word the kernel clears when the thread exits: only the thread
  // itself can ask (a kernel without CONFIG_CHECKPOINT_RESTORE refuses:
  // not known then, and replay refuses to restore several threads).
  if (a.call(SYS_prctl, {PR_GET_TID_ADDRESS, a.scratch(), 0, 0, 0}) == 0) {
    uint64_t addr = 0;
    std::memcpy(&addr, a.answer(sizeof addr).data(), sizeof addr);
    t.clear_child_tid = addr;
  }
  a.finish();
  uint64_t head = 0;
  size_t len = 0;
  if (syscall(SYS_get_robust_list, tid, &head, &len) == 0) t.robust_list = head;
  return t;
}

}  // namespace

SnapshotStats& SnapshotStats::operator+=(const SnapshotStats& o) {
  mappings += o.mappings;
  bytes_read += o.bytes_read;
  bytes_stored += o.bytes_stored;
  unreadable_pages += o.unreadable_pages;
  return *this;
}

void read_contents(pid_t pid, const std::vector<SnapMap>& maps, SnapshotStats& st,
                   const ChunkSink& sink, const std::function<bool()>& stop) {
  unique_fd mem(open(proc(pid, "mem").c_str(), O_RDONLY | O_CLOEXEC));
  if (!mem) throw_errno("attach: " + proc(pid, "mem"));
  constexpr size_t kPage = 4096;
  std::string buf(kSnapChunkBytes, '\0'), run;
  uint64_t run_at = 0;
  auto flush = [&] {
    if (run.empty()) return;
    sink(run_at, run);
    st.bytes_stored += run.size();
    run.clear();
  };
  for (const auto& m : maps) {
    if (!(m.prot & 1)) continue;  // PROT_NONE guard and reserved ranges: nothing to read
    for (uint64_t at = m.addr; at < m.addr + m.size; at += kSnapChunkBytes) {
      if (stop && stop()) return;
      size_t len = static_cast<size_t>(std::min<uint64_t>(kSnapChunkBytes, m.addr + m.size - at));
      bool whole = pread(mem.get(), buf.data(), len, static_cast<off_t>(at)) ==
                   static_cast<ssize_t>(len);
      for (size_t off = 0; off < len; off += kPage) {
        char* page = buf.data() + off;
        if (!whole && pread(mem.get(), page, kPage, static_cast<off_t>(at + off)) !=
                          static_cast<ssize_t>(kPage)) {
          st.unreadable_pages++;
          flush();
          continue;
        }
        st.bytes_read += kPage;
        if (all_zero(page, kPage)) {
          flush();
          continue;
        }
        if (run.empty()) run_at = at + off;
        run.append(page, kPage);
      }
      flush();
    }
  }
}

SnapshotStats take_snapshot(TraceWriter& w, pid_t tgid, const std::vector<pid_t>& tids,
                            uint64_t insn, const OutputFiles& outputs, const std::string& tables,
                            std::unique_ptr<CowCopy>* cow, const std::string& side_path,
                            const ForgetCopy& forget) {
  Snapshot s;
  reap_copies(tgid, insn);  // an earlier snapshot's copy, if the process is its parent
  ask_process(s, tgid, insn);
  for (pid_t tid : tids) s.threads.push_back(thread_state(tid, insn));
  // The main thread first: replay restores the process in it, then clones the others.
  std::stable_partition(s.threads.begin(), s.threads.end(),
                        [&](const SnapThread& t) { return t.tid == tgid; });
  read_values(s, tgid);
  s.output_fds = output_fds_of(tgid, outputs);
  if (std::string cwd = proc_link(tgid, "cwd"); !cwd.empty()) s.cwd = cwd;
  s.stack_limit = stack_soft_limit(tgid);
  s.maps = read_maps(tgid);  // after the questions: they may not change the mappings
  SnapshotStats st;
  st.mappings = s.maps.size();
  std::vector<SnapMap> now = s.maps, later;
  st.copy = "stopped: no copy asked for";
  if (cow) {
    // Last: the copy is the process as the snapshot's other parts show it.
    *cow = CowCopy::fork(tgid, insn, side_path, &st.copy, forget);
    if (*cow) {
      st.copy = "fork";
      std::set<uint64_t> not_copied = not_copied_on_fork(tgid);
      now.clear();
      for (const SnapMap& m : s.maps)
        (m.shared || not_copied.count(m.addr) ? now : later).push_back(m);
    } else {
      st.copy = "stopped: " + st.copy;
    }
  }
  if (cow && *cow) (*cow)->start(std::move(later));
  write_snapshot(w, s, tables);
  read_contents(tgid, now, st,
                [&](uint64_t addr, const std::string& bytes) {
                  write_snapshot_chunk(w, addr, bytes, tables);
                });
  return st;
}

}  // namespace rp
