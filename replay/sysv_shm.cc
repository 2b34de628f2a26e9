#include "sysv_shm.h"

#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "launch.h"
#include "proc_maps.h"
#include "shared_files.h"
#include "shm_segment.h"

namespace rp {
namespace {

uint64_t page_up(uint64_t n) {
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

std::string change_call(pid_t real, Regs& r, int64_t nr) {
  if (!Regs::set_syscall_nr(real, r, nr) || !r.write(real)) return "cannot change the syscall";
  return "";
}

// The segment's bytes the recorder kept at the address shmat returned.
const MemRecord* recorded_segment(const Event& e) {
  for (const auto& m : e.mem)
    if (!m.input && m.addr == static_cast<uint64_t>(e.ret) && !m.bytes.empty()) return &m;
  return nullptr;
}

std::string redirect_attach(pid_t real, const Event& e, Regs& r, std::optional<uint64_t> window) {
  const MemRecord* seg = recorded_segment(e);
  if (!seg)
    return "shmat: the trace holds no contents for this System V segment (its backend did "
           "not keep them), and replay never attaches the host's segments";
  uint64_t flg = e.args[2];
  uint64_t prot = (flg & SHM_RDONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
  if (flg & SHM_EXEC) prot |= PROT_EXEC;
  // Shared: a child forked after the attach shares the segment, as in the recording.
  uint64_t flags = MAP_SHARED | (window ? 0 : MAP_ANONYMOUS) |
                   ((flg & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE);
  r.set_arg(0, static_cast<uint64_t>(e.ret));
  r.set_arg(1, page_up(seg->bytes.size()));
  r.set_arg(2, prot);
  r.set_arg(3, flags);
  r.set_arg(4, window ? static_cast<uint64_t>(kPastEofFd) : static_cast<uint64_t>(-1));
  r.set_arg(5, window ? *window : 0);
  return change_call(real, r, SYS_mmap);
}

// What shmdt(addr) detaches, as the kernel finds it: the shared mappings of
// one file (the segment's window of the memfd, or its shared anonymous
// memory) whose file offsets put the segment's byte 0 at addr, windows being
// kWindowSize apart. The program may have unmapped parts of it, its first
// page too. {0, 0}: none; `*foreign`: another mapping lies between two parts.
std::pair<uint64_t, uint64_t> attached_span(pid_t real, uint64_t addr, bool* foreign) {
  std::vector<ProcMap> maps = read_proc_maps(real);
  const ProcMap* first = nullptr;
  uint64_t base = 0, end = 0;
  *foreign = false;
  auto base_of = [addr](const ProcMap& v) -> std::optional<uint64_t> {
    if (v.start < addr || v.offset < v.start - addr) return std::nullopt;
    return v.offset - (v.start - addr);  // the file offset at addr
  };
  for (const ProcMap& v : maps) {
    if (v.end <= addr || v.start - addr >= kWindowSize) continue;
    auto b = base_of(v);
    if (!first) {
      if (!v.shared() || !v.inode || !b || *b % kWindowSize) continue;
      first = &v, base = *b, end = v.end;
      continue;
    }
    if (v.inode == first->inode && v.dev_major == first->dev_major &&
        v.dev_minor == first->dev_minor && b == base) {
      end = v.end;  // past a gap the program unmapped, maybe
    }
  }
  if (!first) return {0, 0};
  for (const ProcMap& v : maps)  // mappings of something else inside the span
    if (v.start >= first->start && v.end <= end &&
        !(v.inode == first->inode && base_of(v) == base))
      *foreign = true;
  return {first->start, end};
}

std::string redirect_detach(pid_t real, const Event& e, Regs& r) {
  bool foreign = false;
  auto [start, end] = attached_span(real, e.args[0], &foreign);
  if (start == end) return "shmdt: no attached segment at this address in the replay";
  if (foreign)
    return "shmdt: another mapping lies between parts of the segment in the replay; "
           "detaching it would take that mapping too";
  r.set_arg(0, start);
  r.set_arg(1, end - start);
  return change_call(real, r, SYS_munmap);
}

}  // namespace

bool is_sysv_attach_or_detach(int64_t nr) { return nr == SYS_shmat || nr == SYS_shmdt; }

std::string redirect_sysv_call(pid_t real, const Event& e, std::optional<uint64_t> window) {
  Regs r;
  if (!r.read(real)) return "cannot read registers";
  return e.nr == SYS_shmat ? redirect_attach(real, e, r, window) : redirect_detach(real, e, r);
}

}  // namespace rp
