#include "inspect/stack_dump.h"

#include "error.h"
#include "replayer.h"
#include "trace.h"

#if RP_HAVE_LIBDW
#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <unordered_map>

#include "trace_check.h"
#include "unique_fd.h"
#endif

namespace rp {

#if RP_HAVE_LIBDW
namespace {

constexpr size_t kMaxFrames = 64;  // strace -k's limit too

// The root directory of the process being unwound. /proc/PID/maps names a
// file by its path in the replay's mount namespace (the private root's
// directory, already removed here, possibly re-created by someone else), so
// module files are opened beneath the process's own root instead, confined
// to it (RESOLVE_IN_ROOT): nothing outside the replay's sandbox is read.
struct ProcessRoot {
  pid_t pid = 0;
  unique_fd fd;        // /proc/PID/root
  std::string prefix;  // its path as maps shows it ("" for the machine's /)
};
thread_local const ProcessRoot* g_root = nullptr;  // set while libdwfl runs for it

struct RootScope {
  explicit RootScope(const ProcessRoot* r) { g_root = r; }
  ~RootScope() { g_root = nullptr; }
};

std::string inside_root(const std::string& maps_path, const std::string& prefix) {
  if (!prefix.empty() && maps_path.compare(0, prefix.size(), prefix) == 0 &&
      maps_path.size() > prefix.size() && maps_path[prefix.size()] == '/')
    return maps_path.substr(prefix.size());
  return maps_path;
}

// A library the replay mapped as anonymous memory holding the recorded bytes
// of its file (replay/file_maps.h): rp reports it as a module read from
// memory, named by the trace's mappings table; this tag in its userdata says so.
char kMemoryImage;

int find_elf_in_root(Dwfl_Module* mod, void** userdata, const char* name, Dwarf_Addr base,
                     char** file_name, Elf** elfp) {
  bool in_memory = *userdata == &kMemoryImage;
  // "[vdso: PID]": libdwfl reads it from the process's memory.
  if (name[0] != '/' && !in_memory)
    return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
  if (!g_root) return -1;
  if (in_memory) {
    // libdwfl rebuilds an ELF image from memory (its loaded segments: the
    // dynamic symbols and the CFI) for a name "[vdso: PID]".
    std::string vdso_form = "[vdso: " + std::to_string(g_root->pid) + "]";
    return dwfl_linux_proc_find_elf(mod, userdata, vdso_form.c_str(), base, file_name, elfp);
  }
  std::string path = inside_root(name, g_root->prefix);
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, g_root->fd.get(), path.c_str(), &how, sizeof how));
  if (fd < 0) return -1;
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {  // a device could block a read
    close(fd);
    return -1;
  }
  *file_name = strdup(path.c_str());
  return fd;
}

// Debug info from the stored files themselves only: separate debug files
// (debuglink, build-id) would be looked up on this machine, outside the sandbox.
int no_separate_debuginfo(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*,
                          GElf_Word, char**) {
  return -1;
}

const Dwfl_Callbacks kCallbacks = {
    .find_elf = find_elf_in_root,
    .find_debuginfo = no_separate_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "%#" PRIx64, v);
  return buf;
}

struct MapsLine {
  uint64_t start = 0, end = 0;
  std::string name;  // a file's path, "[vdso]", "[heap]"...; empty: anonymous memory
};

std::vector<MapsLine> parse_maps(const std::string& maps) {
  std::vector<MapsLine> out;
  size_t pos = 0;
  while (pos < maps.size()) {
    size_t eol = maps.find('\n', pos);
    if (eol == std::string::npos) eol = maps.size();
    std::string line = maps.substr(pos, eol - pos);
    pos = eol + 1;
    unsigned long long start, end;
    int name_at = -1;
    if (sscanf(line.c_str(), "%llx-%llx %*s %*x %*x:%*x %*u %n", &start, &end, &name_at) < 2 ||
        name_at < 0)
      continue;
    out.push_back(MapsLine{start, end, line.substr(static_cast<size_t>(name_at))});
  }
  return out;
}

// Replay maps a library as anonymous memory holding the recorded bytes of its
// file, or over the tail of its past-EOF memfd (replay/file_maps.h,
// common/launch.h): either way maps names no file of the program.
bool replay_memory(const MapsLine& m) {
  return m.name.empty() || m.name.rfind("/memfd:rp-past-eof", 0) == 0;
}

bool starts_with_elf_header(int mem_fd, uint64_t addr) {
  char magic[4];
  return pread(mem_fd, magic, sizeof magic, static_cast<off_t>(addr)) == sizeof magic &&
         memcmp(magic, "\x7f" "ELF", 4) == 0;
}

// Reports the process's modules to libdwfl from its maps: the files the
// kernel mapped (the program, its ELF interpreter) by path; the vdso; and
// each replayed-memory mapping that starts with an ELF header (a library),
// with the replayed-memory mappings right after it (its other segments and
// bss), as an image libdwfl reads from memory.
// The files of the libraries, from the trace's mappings table (the file each
// mmap mapped): replay maps them as memory, so only the trace can name them.
class LibraryNames {
 public:
  explicit LibraryNames(TraceReader& trace) {
    for (const TaskInfo& t : trace.tasks()) tgid_[t.tid] = t.tgid;
    for (Mapping& m : trace.mappings())
      if (m.offset == 0) at_[{tgid_of(m.tid), m.addr}].emplace(m.seq, std::move(m.path));
  }
  pid_t tgid_of(pid_t rec_tid) const {
    auto it = tgid_.find(rec_tid);
    return it == tgid_.end() ? rec_tid : it->second;
  }
  // The file the process mapped at addr (offset 0) last before event seq.
  std::string at(pid_t rec_tgid, uint64_t addr, uint64_t seq) const {
    auto it = at_.find({rec_tgid, addr});
    if (it == at_.end()) return "";
    auto before = it->second.lower_bound(seq);
    return before == it->second.begin() ? "" : std::prev(before)->second;
  }

 private:
  std::map<pid_t, pid_t> tgid_;
  std::map<std::pair<pid_t, uint64_t>, std::map<uint64_t, std::string>> at_;
};

// Where the modules of the process being reported are named from.
struct NameSource {
  const LibraryNames& names;
  pid_t rec_tgid;
  uint64_t seq;
};

void report_modules(Dwfl* dwfl, pid_t pid, const std::string& maps, const NameSource& src) {
  unique_fd mem(open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  auto ms = parse_maps(maps);
  for (size_t i = 0; i < ms.size(); i++) {
    const MapsLine& first = ms[i];
    uint64_t end = first.end;
    std::string name;
    if (replay_memory(first)) {
      if (!mem || !starts_with_elf_header(mem.get(), first.start)) continue;
      while (i + 1 < ms.size() && replay_memory(ms[i + 1]) && ms[i + 1].start == end &&
             !starts_with_elf_header(mem.get(), ms[i + 1].start))
        end = ms[++i].end;
      name = src.names.at(src.rec_tgid, first.start, src.seq);
      if (name.empty()) name = "[memory " + hex(first.start) + "]";
    } else if (first.name == "[vdso]") {
      name = "[vdso: " + std::to_string(pid) + "]";
    } else if (first.name[0] == '/') {
      while (i + 1 < ms.size() && ms[i + 1].name == first.name) end = ms[++i].end;
      name = first.name;
    } else {
      continue;
    }
    Dwfl_Module* mod = dwfl_report_module(dwfl, name.c_str(), first.start, end);
    void** userdata = nullptr;
    if (mod && replay_memory(first)) {
      dwfl_module_info(mod, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
      *userdata = &kMemoryImage;
    }
  }
}

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
  if (!mod) return " > ?() [" + hex(pc) + "]";
  const char* modname = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr,
                                         nullptr, nullptr);
  std::string line = " > " + printable(inside_root(modname ? modname : "?", prefix), 512) + "(";
  GElf_Off off = 0;
  GElf_Sym sym;
  if (const char* fn = dwfl_module_addrinfo(mod, at, &off, &sym, nullptr, nullptr, nullptr))
    line += printable(demangled(fn), 512) + "+" + hex(off + (pc - at));
  Dwarf_Addr rel = pc;
  dwfl_module_relocate_address(mod, &rel);
  line += ") [" + hex(rel) + "]";
  if (Dwfl_Line* l = dwfl_module_getsrc(mod, at)) {
    int lineno = 0;
    const char* file = dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file && lineno > 0) line += " at " + printable(file, 512) + ":" + std::to_string(lineno);
  }
  return line;
}

struct Walk {
  Dwfl* dwfl;
  const std::string* prefix;
  std::vector<std::string> lines;
};

int on_frame(Dwfl_Frame* frame, void* arg) {
  auto* w = static_cast<Walk*>(arg);
  Dwarf_Addr pc;
  bool activation;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  w->lines.push_back(frame_line(w->dwfl, pc, activation, *w->prefix));
  return w->lines.size() >= kMaxFrames ? DWARF_CB_ABORT : DWARF_CB_OK;
}

// Unwinds each thread at its recorded syscalls. One libdwfl session per
// process, rebuilt when its mappings change (mmap, exec).
class Unwinder : public SyscallObserver {
 public:
  Unwinder(SyscallStacks& out, const LibraryNames& names) : out_(out), names_(names) {}
  ~Unwinder() override {
    for (auto& [pid, p] : procs_) dwfl_end(p.dwfl);
  }

  void at_syscall_entry(uint64_t seq, pid_t rec_tid, pid_t tid, pid_t tgid) override {
    std::string why;
    Process* p = process(tgid, NameSource{names_, names_.tgid_of(rec_tid), seq}, &why);
    std::vector<std::string> lines;
    if (p) {
      RootScope scope(&p->root);
      Walk w{p->dwfl, &p->root.prefix, {}};
      if (dwfl_getthread_frames(p->dwfl, tid, on_frame, &w) != 0 && w.lines.empty())
        why = dwfl_errmsg(-1);
      lines = std::move(w.lines);
    }
    if (lines.empty()) lines.push_back(" > (no stack: " + why + ")");
    auto& ids = out_.by_seq[seq];
    for (auto& l : lines) ids.push_back(intern(std::move(l)));
  }

 private:
  struct Process {
    Dwfl* dwfl = nullptr;
    std::string maps;  // /proc/PID/maps when `dwfl` was built
    ProcessRoot root;
  };

  Process* process(pid_t tgid, const NameSource& src, std::string* why) {
    std::string proc = "/proc/" + std::to_string(tgid);
    std::string maps = slurp(proc + "/maps");
    auto it = procs_.find(tgid);
    if (it != procs_.end() && it->second.maps == maps) return &it->second;
    if (it != procs_.end()) {
      dwfl_end(it->second.dwfl);
      procs_.erase(it);
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
    p.dwfl = dwfl_begin(&kCallbacks);
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

  uint32_t intern(std::string line) {
    auto [it, added] = ids_.try_emplace(line, static_cast<uint32_t>(out_.lines.size()));
    if (added) out_.lines.push_back(std::move(line));
    return it->second;
  }

  SyscallStacks& out_;
  const LibraryNames& names_;
  std::map<pid_t, Process> procs_;  // by real tgid
  std::unordered_map<std::string, uint32_t> ids_;
};

}  // namespace
#endif  // RP_HAVE_LIBDW

SyscallStacks collect_syscall_stacks(const std::string& path) {
#if !RP_HAVE_LIBDW
  (void)path;
  throw Error("dump -k: this build of rp has no stack unwinder (built without elfutils libdw)");
#else
  TraceReader trace(path, /*validate=*/true, /*allow_cut=*/true);
  if (trace.meta_or("replayable", "1") == "0")
    throw Error("dump -k: " + path + " was captured without replay support (rp record -p/--name "
                "with a kernel backend): stacks need a replay");
  std::string arch = trace.meta_or("arch", "?");
  if (arch != kArchName)
    throw Error("dump -k: trace was recorded on " + arch + ", this machine is " + kArchName +
                ": stacks need a replay");
  SyscallStacks out;
  LibraryNames names(trace);
  Unwinder unwinder(out, names);
  Replayer r(trace, /*quiet=*/true);
  r.set_syscall_observer(&unwinder);
  try {
    r.run();
  } catch (const Divergence& d) {
    out.stopped_at = r.current_seq();
    out.divergence = d.what();
  }
  return out;
#endif
}

}  // namespace rp
