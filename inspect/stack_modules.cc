#include "inspect/stack_modules.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <cinttypes>
#include <cstring>
#include <vector>

#include "inspect/debug_paths.h"
#include "inspect/stack_debuginfo.h"
#include "proc_maps.h"
#include "snapshot.h"
#include "trace.h"

namespace rp {
namespace {

thread_local const ProcessRoot* g_root = nullptr;  // set while libdwfl runs for it

// A library the replay mapped as anonymous memory holding the recorded bytes
// of its file (replay/file_maps.h): rp reports it as a module read from
// memory, named by the trace's mappings table; this tag in its userdata says so.
char kMemoryImage;

// A regular file beneath the root, or -1.
int open_in_root(const ProcessRoot& root, const std::string& path) {
  return open_regular_beneath(root.fd.get(), path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

// The first page of the file (ELF header, program headers, build id) is the
// one loaded at addr.
bool same_first_page(int fd, pid_t pid, uint64_t addr) {
  constexpr size_t kPage = 4096;
  std::string in_file(kPage, '\0'), in_memory(kPage, '\0');
  ssize_t n = pread(fd, in_file.data(), kPage, 0);
  unique_fd mem(open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  return n > 0 && mem &&
         pread(mem.get(), in_memory.data(), static_cast<size_t>(n), static_cast<off_t>(addr)) == n &&
         in_file.compare(0, static_cast<size_t>(n), in_memory, 0, static_cast<size_t>(n)) == 0;
}

int find_elf_in_root(Dwfl_Module* mod, void** userdata, const char* name, Dwarf_Addr base,
                     char** file_name, Elf** elfp) {
  bool in_memory = *userdata == &kMemoryImage;
  // "[vdso: PID]": libdwfl reads it from the process's memory.
  if (name[0] != '/' && !in_memory)
    return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
  if (!g_root) return -1;
  std::string path = inside_root(name, g_root->prefix);
  int fd = name[0] == '/' ? open_in_root(*g_root, path) : -1;
  // A memory image whose file the trace stored (the program of an attach
  // recording, restored from its snapshot) is read from that file, with its
  // full symbol table and debug info, if the file is what was loaded.
  if (fd >= 0 && in_memory && !same_first_page(fd, g_root->pid, base)) {
    close(fd);
    fd = -1;
  }
  if (fd >= 0) {
    *file_name = strdup(path.c_str());
    return fd;
  }
  if (!in_memory) return -1;
  // libdwfl rebuilds an ELF image from memory (its loaded segments: the
  // dynamic symbols and the CFI) for a name "[vdso: PID]".
  std::string vdso_form = "[vdso: " + std::to_string(g_root->pid) + "]";
  return dwfl_linux_proc_find_elf(mod, userdata, vdso_form.c_str(), base, file_name, elfp);
}

// Replay maps a library as anonymous memory holding the recorded bytes of its
// file, or over the tail of its past-EOF memfd (replay/file_maps.h,
// common/launch.h): either way maps names no file of the program.
bool replay_memory(const ProcMap& m) {
  return m.path.empty() || m.path.rfind("/memfd:rp-past-eof", 0) == 0;
}

bool starts_with_elf_header(int mem_fd, uint64_t addr) {
  char magic[4];
  return pread(mem_fd, magic, sizeof magic, static_cast<off_t>(addr)) == sizeof magic &&
         memcmp(magic, "\x7f" "ELF", 4) == 0;
}

}  // namespace

RootScope::RootScope(const ProcessRoot* root) { g_root = root; }
RootScope::~RootScope() { g_root = nullptr; }

const Dwfl_Callbacks kModuleCallbacks = {
    .find_elf = find_elf_in_root,
    .find_debuginfo = find_separate_debuginfo,  // the host's debug directories
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

std::string inside_root(const std::string& maps_path, const std::string& prefix) {
  if (!prefix.empty() && maps_path.compare(0, prefix.size(), prefix) == 0 &&
      maps_path.size() > prefix.size() && maps_path[prefix.size()] == '/')
    return maps_path.substr(prefix.size());
  return maps_path;
}

std::string hex_addr(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "%#" PRIx64, v);
  return buf;
}

LibraryNames::LibraryNames(TraceReader& trace) {
  auto tasks = trace.tasks();
  for (const TaskInfo& t : tasks) tgid_[t.tid] = t.tgid;
  for (const TaskInfo& t : tasks)
    if (t.tid == t.tgid && t.parent) parent_[t.tgid] = tgid_of(t.parent);
  for (Mapping& m : trace.mappings())
    if (m.offset == 0) at_[{tgid_of(m.tid), m.addr}].emplace(m.seq, std::move(m.path));
  // An attach recording: what was mapped before, in the attached process and
  // (inherited) its children.
  if (has_snapshot(trace))
    for (SnapMap& m : read_snapshot(trace).maps)
      if (m.offset == 0 && !m.path.empty() && m.path[0] == '/')
        at_[{kAnyProcess, m.addr}].emplace(0, std::move(m.path));
}

pid_t LibraryNames::tgid_of(pid_t rec_tid) const {
  auto it = tgid_.find(rec_tid);
  return it == tgid_.end() ? rec_tid : it->second;
}

// A forked child has its parent's mappings: the process, then its ancestors
// (a bounded walk: the tasks table is untrusted), then the snapshot's.
std::string LibraryNames::at(pid_t rec_tgid, uint64_t addr, uint64_t seq) const {
  pid_t p = rec_tgid;
  for (int depth = 0; depth < 64 && p != kAnyProcess; depth++) {
    if (std::string name = mapped_by(p, addr, seq); !name.empty()) return name;
    auto parent = parent_.find(p);
    p = parent == parent_.end() ? kAnyProcess : parent->second;
  }
  return mapped_by(kAnyProcess, addr, seq);
}

std::string LibraryNames::mapped_by(pid_t rec_tgid, uint64_t addr, uint64_t seq) const {
  auto it = at_.find({rec_tgid, addr});
  if (it == at_.end()) return "";
  auto before = it->second.lower_bound(seq);
  return before == it->second.begin() ? "" : std::prev(before)->second;
}

void report_modules(Dwfl* dwfl, pid_t pid, const std::string& maps, const NameSource& src) {
  unique_fd mem(open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  auto ms = parse_maps(maps);
  for (size_t i = 0; i < ms.size(); i++) {
    const ProcMap& first = ms[i];
    uint64_t end = first.end;
    std::string name;
    if (replay_memory(first)) {
      if (!mem || !starts_with_elf_header(mem.get(), first.start)) continue;
      while (i + 1 < ms.size() && replay_memory(ms[i + 1]) && ms[i + 1].start == end &&
             !starts_with_elf_header(mem.get(), ms[i + 1].start))
        end = ms[++i].end;
      name = src.names.at(src.rec_tgid, first.start, src.seq);
      if (name.empty()) name = "[memory " + hex_addr(first.start) + "]";
    } else if (first.path == "[vdso]") {
      name = "[vdso: " + std::to_string(pid) + "]";
    } else if (first.path[0] == '/') {
      while (i + 1 < ms.size() && ms[i + 1].path == first.path) end = ms[++i].end;
      name = first.path;
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


}  // namespace rp
