// Which recorded task a replayed clone made. The clone's result names it,
// except in a child pid namespace, where the result is the namespace's
// number and the trace knows the task by its global tid: then it is the
// creator's child added last before the clone returned, a thread of the
// creator's process or a process of its own as the clone's flags say. A
// task whose first stop came before its creator's fork event was added with
// parent 0 (the recorder names the parent once that event comes; older
// traces kept 0), so parent 0 matches any creator.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "trace.h"

namespace rp {

// `creator`: the recorded tid of the cloning thread; `thread`: the clone had
// CLONE_THREAD; `seq`, `ret`: the clone event's; `taken`: whether a recorded
// tid already has a task in replay.
pid_t clone_child(const std::vector<TaskInfo>& tasks, pid_t creator, bool thread, uint64_t seq,
                  int64_t ret, const std::function<bool(pid_t)>& taken);

}  // namespace rp
