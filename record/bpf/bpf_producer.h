// The eBPF producer of a kernel capture (record/kernel_capture.h): loads
// rp.bpf.c (tracepoints sys_enter, sys_exit, sched_process_fork/exit) and
// drains its ring buffer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "kernel_capture.h"

namespace rp {

struct BpfConfig {
  uint64_t ring_bytes = uint64_t{64} << 20;  // power of two
  bool stall = true;   // a ptrace supervisor completes parked records
  std::string comm;    // non-empty: trace every task with this comm instead of tgids
  // The recording runs on one CPU (record/cpu_pin.h): record thread switches
  // in user code and stop a thread whose sched_setaffinity succeeded.
  bool one_cpu = false;
};

// Root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF. False with a
// one-line reason otherwise.
bool bpf_permitted(std::string* why);

// Throws rp::Error (one line) if eBPF cannot be used.
std::unique_ptr<KernelProducer> make_bpf_producer(const BpfConfig& cfg);

}  // namespace rp
