// Which slot group a process runs in under the ptrace recorder (the
// scheduler in ptrace_recorder.h, Group): its own, or one it shares with the
// processes it shares writable memory with, so that their races in that
// memory are ordered by recorded stops as threads' are. docs/design.md,
// "Scheduler".
#include <sys/mman.h>
#include <sys/ptrace.h>

#include <algorithm>

#include "proc_maps.h"
#include "ptrace_recorder.h"
#include "tracee.h"

namespace rp {
namespace {

// Whether the process maps memory MAP_SHARED and writable. Read in a new
// child, before it runs: what it inherited (not MADV_DONTFORK ranges).
bool maps_shared_writable(pid_t tid) {
  for (const ProcMap& m : read_proc_maps(tid))
    if (m.shared() && (m.prot() & PROT_WRITE)) return true;
  return false;
}

}  // namespace

// A new thread runs in its creator's group. A new process has a group of
// its own unless it shares writable memory with its parent: all of it
// (CLONE_VM; not with CLONE_VFORK, where the parent runs no user code until
// the child execs or exits), or a MAP_SHARED writable mapping it inherited
// (a process-shared mutex, a shared counter: futex_procs_threads). Memory
// shared only later (both map one file or SysV segment after the fork)
// does not join their groups: replay gives each process a copy of such a
// mapping's contents as they were at its mmap, so their later writes to it
// are not shared there either (docs/design.md, "Out of reach").
pid_t PtraceRecorder::slot_for_child(const Task& parent, int event, pid_t child) const {
  if (event == PTRACE_EVENT_VFORK) return child;
  if (event == PTRACE_EVENT_CLONE) {
    if (parent.args[0] & CLONE_THREAD) return parent.slot;
    if (parent.args[0] & CLONE_VFORK) return child;
    if (parent.args[0] & CLONE_VM) return parent.slot;
  }
  return maps_shared_writable(child) ? parent.slot : child;
}

// A child that stopped before its parent's fork event (the clone's flags
// unknown): a thread runs in its process's group; a process in its parent's
// when it inherited a writable shared mapping.
pid_t PtraceRecorder::slot_for_adopted(const Task& t) const {
  for (const auto& [tid, o] : tasks_)
    if (tid != t.tid && o.tgid == t.tgid) return o.slot;
  pid_t parent = static_cast<pid_t>(proc_status_field(t.tid, "PPid", 10).value_or(0));
  auto p = std::find_if(tasks_.begin(), tasks_.end(),
                        [parent](const auto& kv) { return kv.second.tgid == parent; });
  return p != tasks_.end() && maps_shared_writable(t.tid) ? p->second.slot : t.tgid;
}

// At an exec's return: a process that ran in another process's group for
// the memory they shared has none of it now; it gets a group of its own.
// (The group's key process stays in it: the others' key is its tgid.)
void PtraceRecorder::leave_shared_slot(Task& t) {
  if (kernel_ || t.slot == t.tgid) return;
  release_slot(t);
  Group& old = groups_[t.slot];
  t.slot = t.tgid;
  schedule(old);
}

}  // namespace rp
