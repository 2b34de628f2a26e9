#include "clone_child.h"

namespace rp {

pid_t clone_child(const std::vector<TaskInfo>& tasks, pid_t creator, bool thread, uint64_t seq,
                  int64_t ret, const std::function<bool(pid_t)>& taken) {
  const pid_t by_ret = static_cast<pid_t>(ret);
  pid_t creator_tgid = 0;
  for (const auto& ti : tasks)  // the last such row: tids are reused
    if (ti.tid == creator && ti.first_seq <= seq) creator_tgid = ti.tgid;
  pid_t best = 0;
  uint64_t best_seq = 0;
  for (const auto& ti : tasks) {
    if (ti.tid == by_ret && !taken(by_ret)) return by_ret;
    const bool kind_fits = thread ? ti.tgid == creator_tgid : ti.tgid == ti.tid;
    if ((ti.parent == creator || ti.parent == 0) && kind_fits && ti.first_seq <= seq &&
        ti.first_seq >= best_seq && !taken(ti.tid)) {
      best = ti.tid;
      best_seq = ti.first_seq;
    }
  }
  return best ? best : by_ret;
}

}  // namespace rp
