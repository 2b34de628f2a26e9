// The kernel-module producer of a kernel capture (record/kernel_capture.h):
// /dev/rp from kmod/rp.ko. Unlike the eBPF program the module never parks a
// record for user space: what it cannot finish in probe context it finishes
// itself before the thread returns to user space (faulting pages in, waiting
// for ring space), so take_stalled() always comes back empty.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "kernel_capture.h"

namespace rp {

struct KmodConfig {
  uint64_t ring_bytes = uint64_t{64} << 20;  // power of two, 256 KiB .. 1 GiB
  std::string comm;  // non-empty: trace every task with this comm instead of a tree
  // A replayable recording (a ptrace supervisor, all threads on one CPU): the
  // module records thread switches in user code and stops a thread whose
  // sched_setaffinity succeeded (RP_KMOD_F_SWITCHES). Not for -p / --name.
  bool switches = false;
  std::string device = "/dev/rp";
};

// Throws rp::Error (one line) if the module cannot be used.
std::unique_ptr<KernelProducer> make_kmod_producer(const KmodConfig& cfg);

}  // namespace rp
