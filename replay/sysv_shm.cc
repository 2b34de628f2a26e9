#include "sysv_shm.h"

#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "launch.h"
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

std::string redirect_detach(pid_t real, const Event& e, Regs& r) {
  uint64_t len = mapping_length_at(real, e.args[0]);
  if (!len) return "shmdt: no attached segment at this address in the replay";
  r.set_arg(1, len);
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
