// A recorded process writing another process's memory (or its own) without
// ptrace: process_vm_writev, and write/pwrite to a /proc/PID/mem file. The
// calls are emulated like any write, so the kernel does not copy anything in
// replay: the bytes are written here into the replayed target, at the
// writer's event, where the recording's kernel wrote them. The bytes are the
// ones the replayed writer holds, which check_call has compared with the
// recorded input hash; a target that is not a process of the replay, or a
// /proc mem file rp cannot tie to one, is a divergence (the program would
// silently read other bytes than it did).
#include <sys/syscall.h>
#include <sys/uio.h>

#include <cstring>

#include "buffers.h"
#include "replayer.h"
#include "syscall_table.h"

namespace rp {

bool writes_a_file(int64_t nr) {
  return nr == SYS_write || nr == SYS_writev || nr == SYS_pwrite64 || nr == SYS_pwritev ||
         nr == SYS_pwritev2;
}

void Replayer::apply_memory_write(Task& writer, const Event& e) {
  if (e.kind != EventKind::kSyscall || syscall_failed(e.ret) || e.ret == 0) return;
  if (e.nr == SYS_process_vm_writev) {
    apply_vm_writev(writer, e);
    return;
  }
  if (!writes_a_file(e.nr)) return;
  int fd = static_cast<int>(e.args[0]);
  auto owner = output_fds_.mem_file_owner(e.tid, fd);
  if (!owner) return;
  std::string what = "the program's write to a /proc mem file";
  if (*owner == 0) diverge(e, what + ": its path names no process rp can tell");
  bool at_offset = e.nr == SYS_pwrite64 || e.nr == SYS_pwritev ||
                   (e.nr == SYS_pwritev2 && e.args[3] != static_cast<uint64_t>(-1));
  uint64_t addr = e.args[3];
  if (!at_offset) {  // the file offset is the address; after the write (applied already)
    auto after = output_fds_.position(e.tid, fd);
    if (!after || *after < static_cast<uint64_t>(e.ret))
      diverge(e, what + ": rp could not follow the file offset (the address written)");
    addr = *after - static_cast<uint64_t>(e.ret);
  }
  std::string data = written_bytes(writer, e);
  write_process_memory(*owner, {{addr, data.size()}}, data, e, what);
}

void Replayer::apply_vm_writev(Task& writer, const Event& e) {
  const std::string what = "the program's process_vm_writev";
  uint64_t count = e.args[4];
  if (count > 1024) diverge(e, what + ": more remote pieces than the kernel accepts");
  std::string raw = writer.mem.read(e.args[3], count * sizeof(struct iovec));
  if (raw.size() != count * sizeof(struct iovec))
    diverge(e, what + ": cannot read its remote iovec array");
  std::vector<Region> remote;
  for (uint64_t i = 0; i < count; i++) {
    struct iovec v;
    std::memcpy(&v, raw.data() + i * sizeof v, sizeof v);
    remote.push_back({reinterpret_cast<uint64_t>(v.iov_base), v.iov_len});
  }
  std::string data = written_bytes(writer, e);
  write_process_memory(static_cast<pid_t>(e.args[0]), remote, data, e, what);
}

// The first `ret` bytes the call sent: its input buffers in the replayed
// writer, which check_call compared with the recorded hash.
std::string Replayer::written_bytes(Task& writer, const Event& e) {
  std::string data = writer.mem.input_bytes(*syscall_spec(e.nr), writer.args);
  if (data.size() < static_cast<uint64_t>(e.ret))
    diverge(e, "cannot read the " + std::to_string(e.ret) + " bytes the call sent");
  data.resize(static_cast<size_t>(e.ret));
  return data;
}

// A live replayed thread of the process that recorded thread `rec` was part
// of, or none.
ReplayTask* Replayer::live_task_of_process(pid_t rec) {
  auto live = [&](pid_t tid) -> Task* {
    auto it = tasks_.find(tid);
    return it == tasks_.end() || it->second.state == State::kGone ? nullptr : &it->second;
  };
  if (Task* t = live(rec)) return t;
  pid_t tgid = 0;
  for (const auto& ti : recorded_tasks())
    if (ti.tid == rec) tgid = ti.tgid;
  for (const auto& ti : recorded_tasks())
    if (tgid && ti.tgid == tgid)
      if (Task* t = live(ti.tid)) return t;
  return nullptr;
}

// Writes `data` into the pieces in order, as the kernel copies: the first
// bytes into the first piece, and so on until the data ends.
void Replayer::write_process_memory(pid_t rec, const std::vector<Region>& pieces,
                                    const std::string& data, const Event& e,
                                    const std::string& what) {
  Task* target = live_task_of_process(rec);
  if (!target)
    diverge(e, what + " wrote into process " + std::to_string(rec) +
                   ", which is not a process of the replay (not recorded)");
  size_t done = 0;
  for (const Region& p : pieces) {
    if (done == data.size()) break;
    size_t n = std::min<size_t>(p.len, data.size() - done);
    if (n && !target->mem.write(p.addr, data.substr(done, n)))
      diverge(e, what + ": cannot write " + std::to_string(n) + " bytes at " +
                     std::to_string(p.addr) + " in process " + std::to_string(rec) +
                     " (memory layout differs)");
    done += n;
  }
  if (done != data.size()) diverge(e, what + ": the remote pieces hold less than it wrote");
}

}  // namespace rp
