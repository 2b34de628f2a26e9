#include "cpu_pin.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "error.h"

namespace rp {
namespace {

// Idle ticks (idle + iowait) per CPU, from /proc/stat's cpuN lines.
std::map<int, unsigned long long> idle_ticks() {
  std::map<int, unsigned long long> idle;
  std::ifstream f("/proc/stat");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
    std::istringstream in(line.substr(3));
    int cpu;
    unsigned long long user, nice, sys, idl, iow;
    if (in >> cpu >> user >> nice >> sys >> idl >> iow) idle[cpu] = idl + iow;
  }
  return idle;
}

cpu_set_t only(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return one;
}

// The CPUs rp itself may run on; false if it cannot tell.
bool own_cpus(cpu_set_t& allowed) {
  CPU_ZERO(&allowed);
  return sched_getaffinity(0, sizeof allowed, &allowed) == 0;
}

}  // namespace

int choose_recording_cpu() {
  cpu_set_t allowed;
  if (!own_cpus(allowed))
    throw Error(std::string("record: cannot read rp's CPU affinity: ") + strerror(errno));
  auto before = idle_ticks();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto after = idle_ticks();
  int best = -1;
  long long best_idle = -1;
  for (const auto& [cpu, ticks] : after) {
    if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) continue;
    auto b = before.find(cpu);
    long long idle = b == before.end() ? 0 : static_cast<long long>(ticks - b->second);
    if (idle > best_idle) {
      best = cpu;
      best_idle = idle;
    }
  }
  if (best < 0) {  // no /proc/stat: the first CPU rp may use
    for (int cpu = 0; cpu < CPU_SETSIZE && best < 0; cpu++)
      if (CPU_ISSET(cpu, &allowed)) best = cpu;
  }
  if (best < 0) throw Error("record: rp may run on no CPU");
  return best;
}

void pin_to_cpu(pid_t tid, int cpu) {
  cpu_set_t one = only(cpu);
  if (sched_setaffinity(tid, sizeof one, &one) != 0)
    throw Error("cannot pin thread " + std::to_string(tid) + " on CPU " +
                std::to_string(cpu) + ": " + strerror(errno));
}

bool cpu_allowed(int cpu) {
  cpu_set_t allowed;
  return cpu >= 0 && cpu < CPU_SETSIZE && own_cpus(allowed) && CPU_ISSET(cpu, &allowed);
}

int repin_threads(const std::vector<pid_t>& tids, int cpu) {
  int moved = 0;
  for (pid_t tid : tids) {
    cpu_set_t now;
    CPU_ZERO(&now);
    if (sched_getaffinity(tid, sizeof now, &now) != 0) continue;  // gone
    if (CPU_COUNT(&now) == 1 && CPU_ISSET(cpu, &now)) continue;
    cpu_set_t one = only(cpu);
    if (sched_setaffinity(tid, sizeof one, &one) == 0) moved++;
  }
  return moved;
}

}  // namespace rp
