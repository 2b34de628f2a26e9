#include "inspect/stack_dump.h"

#include "error.h"
#include "replayer.h"
#include "trace.h"

#if RP_HAVE_LIBDW
#include <cxxabi.h>
#include <dwarf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <unordered_map>

#include "inspect/stack_debuginfo.h"
#include "inspect/stack_modules.h"
#include "proc_maps.h"
#include "trace_check.h"
#endif

namespace rp {

#if RP_HAVE_LIBDW
namespace {

constexpr size_t kMaxFrames = 64;  // strace -k's limit too

std::string demangled(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&free)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                           &free);
  return status == 0 && d ? d.get() : name;
}

// One strace -k line: " > MODULE(FUNCTION+0xOFF) [0xMODULE_OFFSET]", then
// " at FILE:LINE" when the module has line tables.
std::string frame_line(Dwfl* dwfl, Dwarf_Addr pc, bool activation, const std::string& prefix) {
  // A return address follows its call, which may end the function: look up the call.
  Dwarf_Addr at = activation ? pc : pc - 1;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, at);
  if (!mod) return " > ?() [" + hex_addr(pc) + "]";
  const char* modname = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr,
                                         nullptr, nullptr);
  std::string name = inside_root(modname ? modname : "?", prefix);
  if (name.rfind("[vdso: ", 0) == 0) name = "[vdso]";  // libdwfl's name holds this run's pid
  std::string line = " > " + printable(name, 512) + "(";
  GElf_Off off = 0;
  GElf_Sym sym;
  if (const char* fn = dwfl_module_addrinfo(mod, at, &off, &sym, nullptr, nullptr, nullptr))
    line += printable(demangled(fn), 512) + "+" + hex_addr(off + (pc - at));
  Dwarf_Addr rel = pc;
  dwfl_module_relocate_address(mod, &rel);
  line += ") [" + hex_addr(rel) + "]";
  if (Dwfl_Line* l = dwfl_module_getsrc(mod, at)) {
    int lineno = 0;
    const char* file = dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file && lineno > 0) line += " at " + printable(file, 512) + ":" + std::to_string(lineno);
  }
  return line;
}

// The frames of one stack, as ids of SyscallStacks::lines. The same return
// addresses come back at call after call: each is symbolized once per
// libdwfl session (`known`).
struct Walk {
  Dwfl* dwfl;
  const std::string* prefix;
  std::map<std::pair<Dwarf_Addr, bool>, uint32_t>* known;
  std::function<uint32_t(std::string)> intern;
  std::vector<uint32_t> ids;
};

int on_frame(Dwfl_Frame* frame, void* arg) {
  auto* w = static_cast<Walk*>(arg);
  Dwarf_Addr pc;
  bool activation;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  auto [it, added] = w->known->try_emplace({pc, activation}, 0);
  if (added) it->second = w->intern(frame_line(w->dwfl, pc, activation, *w->prefix));
  w->ids.push_back(it->second);
  return w->ids.size() >= kMaxFrames ? DWARF_CB_ABORT : DWARF_CB_OK;
}

// Unwinds each thread at its recorded syscalls. One libdwfl session per
// process, rebuilt when its mappings change (mmap, exec).
class Unwinder : public SyscallObserver {
 public:
  Unwinder(SyscallStacks& out, TraceReader& trace, const std::vector<std::string>& debug_dirs)
      : out_(out), dirs_(debug_dirs), dirs_scope_(&dirs_), names_(trace) {}
  ~Unwinder() override {
    for (auto& [pid, p] : procs_) dwfl_end(p.dwfl);
  }

  void at_syscall_entry(const SyscallEntryStop& s) override {
    std::string why;
    Process* p = process(s.real_tgid, NameSource{names_, names_.tgid_of(s.rec_tid), s.seq}, &why);
    std::vector<uint32_t> ids;
    if (p) {
      RootScope scope(&p->root);
      Walk w{p->dwfl, &p->root.prefix, &p->known,
             [this](std::string line) { return intern(std::move(line)); }, {}};
      if (dwfl_getthread_frames(p->dwfl, s.real_tid, on_frame, &w) != 0 && w.ids.empty())
        why = dwfl_errmsg(-1);
      ids = std::move(w.ids);
    }
    if (ids.empty()) ids.push_back(intern(" > (no stack: " + why + ")"));
    out_.by_seq[s.seq] = std::move(ids);  // a call reached once more (restarted): its last stack
  }

 private:
  struct Process {
    Dwfl* dwfl = nullptr;
    std::string maps;  // /proc/PID/maps when `dwfl` was built
    ProcessRoot root;
    std::map<std::pair<Dwarf_Addr, bool>, uint32_t> known;  // frame lines by (pc, activation)
  };

  Process* process(pid_t tgid, const NameSource& src, std::string* why) {
    std::string proc = "/proc/" + std::to_string(tgid);
    std::string maps = read_maps_text(tgid);
    auto it = procs_.find(tgid);
    if (it != procs_.end() && it->second.maps == maps) return &it->second;
    if (it != procs_.end()) {
      dwfl_end(it->second.dwfl);
      procs_.erase(it);
    } else {
      forget_ended();
    }
    Process p;
    p.maps = std::move(maps);
    char root[4096];
    ssize_t n = readlink((proc + "/root").c_str(), root, sizeof root - 1);
    p.root.fd.reset(open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (n <= 0 || !p.root.fd) {
      *why = "cannot open " + proc + "/root: " + strerror(errno);
      return nullptr;
    }
    p.root.prefix.assign(root, static_cast<size_t>(n));
    if (p.root.prefix == "/") p.root.prefix.clear();
    RootScope scope(&p.root);
    p.dwfl = dwfl_begin(&kModuleCallbacks);
    if (!p.dwfl) {
      *why = dwfl_errmsg(-1);
      return nullptr;
    }
    p.root.pid = tgid;
    dwfl_report_begin(p.dwfl);
    report_modules(p.dwfl, tgid, p.maps, src);
    dwfl_report_end(p.dwfl, nullptr, nullptr);
    // The replay has every thread in a ptrace stop already: libdwfl must not attach.
    int rc = dwfl_linux_proc_attach(p.dwfl, tgid, /*assume_ptrace_stopped=*/true);
    if (rc != 0) {
      *why = rc > 0 ? strerror(rc) : dwfl_errmsg(-1);
      dwfl_end(p.dwfl);
      return nullptr;
    }
    return &(procs_[tgid] = std::move(p));
  }

  // The sessions of processes that have ended (each holds descriptors: a
  // fork-heavy run would run out).
  void forget_ended() {
    for (auto it = procs_.begin(); it != procs_.end();) {
      if (access(("/proc/" + std::to_string(it->first) + "/maps").c_str(), F_OK) == 0) {
        ++it;
        continue;
      }
      dwfl_end(it->second.dwfl);
      it = procs_.erase(it);
    }
  }

  uint32_t intern(std::string line) {
    auto [it, added] = ids_.try_emplace(line, static_cast<uint32_t>(out_.lines.size()));
    if (added) out_.lines.push_back(std::move(line));
    return it->second;
  }

  SyscallStacks& out_;
  DebugDirs dirs_;
  DebugDirsScope dirs_scope_;  // libdwfl's callbacks find the debug directories there
  LibraryNames names_;
  std::map<pid_t, Process> procs_;  // by real tgid
  std::unordered_map<std::string, uint32_t> ids_;
};

}  // namespace
#endif  // RP_HAVE_LIBDW

std::unique_ptr<SyscallObserver> stack_observer(SyscallStacks& out, TraceReader& trace,
                                                const std::vector<std::string>& debug_dirs) {
#if !RP_HAVE_LIBDW
  (void)out;
  (void)trace;
  (void)debug_dirs;
  throw Error("dump -k: this build of rp has no stack unwinder (built without elfutils libdw)");
#else
  return std::make_unique<Unwinder>(out, trace, debug_dirs);
#endif
}

}  // namespace rp
