#include "clone_child.h"

#include <gtest/gtest.h>

#include <set>

namespace rp {
namespace {

// The tasks of a recording in nested pid namespaces (an rr test program,
// pid_ns_kill_threads_exit_wait): 8883 forks 8884, its namespace's init,
// whose fork returned 2 (the child's number in 8883's namespace). 8884's
// first thread 8885 and 8884 itself stopped before their creators' clone
// events: both were added with parent 0.
std::vector<TaskInfo> tasks() {
  return {{8877, 8877, 8873, 1, {}}, {8883, 8883, 8877, 109, {}}, {8884, 8884, 0, 121, {}},
          {8885, 8884, 0, 142, {}},  {8886, 8884, 8884, 163, {}}, {8887, 8887, 8884, 175, {}}};
}

TEST(CloneChild, AForkInAPidNamespaceMakesAProcessNotAThreadAddedLater) {
  std::set<pid_t> taken{8877, 8883};
  auto is_taken = [&](pid_t t) { return taken.count(t) != 0; };
  EXPECT_EQ(clone_child(tasks(), 8883, false, 142, 2, is_taken), 8884);
  taken.insert(8884);
  // 8884's first pthread_create, event 144, returning 2 in its namespace.
  EXPECT_EQ(clone_child(tasks(), 8884, true, 144, 2, is_taken), 8885);
}

TEST(CloneChild, TheResultNamesTheChildOutsideAPidNamespace) {
  std::set<pid_t> taken{8877};
  EXPECT_EQ(clone_child(tasks(), 8877, false, 109, 8883,
                        [&](pid_t t) { return taken.count(t) != 0; }),
            8883);
}

TEST(CloneChild, ANamedParentWinsOverItsNumberInTheNamespace) {
  std::set<pid_t> taken{8877, 8883, 8884, 8885, 8886};
  // 8884's fork at 175 returned 4: 8887, its own process.
  EXPECT_EQ(clone_child(tasks(), 8884, false, 175, 4,
                        [&](pid_t t) { return taken.count(t) != 0; }),
            8887);
}

}  // namespace
}  // namespace rp
