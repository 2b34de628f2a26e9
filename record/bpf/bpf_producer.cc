#include "bpf_producer.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <vector>

#include "error.h"
#include "verifier_log.h"

#ifdef RP_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "rp.skel.h"
#include "rp_bpf.h"
#endif

namespace rp {

#ifndef RP_HAVE_BPF

bool bpf_permitted(std::string* why) {
  *why = "this rp was built without eBPF support (needs bpftool, clang and libbpf-dev)";
  return false;
}

std::unique_ptr<KernelProducer> make_bpf_producer(const BpfConfig&) {
  std::string why;
  bpf_permitted(&why);
  throw Error("record: backend bpf: " + why);
}

#else

bool bpf_permitted(std::string* why) {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    *why = "the kernel has no BTF (/sys/kernel/btf/vmlinux)";
    return false;
  }
  if (geteuid() == 0) return true;
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2]{};
  if (syscall(SYS_capget, &h, d) == 0) {
    auto has = [&](int cap) { return (d[cap / 32].effective >> (cap % 32)) & 1; };
    if (has(CAP_BPF) && has(CAP_PERFMON)) return true;
  }
  *why = "needs root, or CAP_BPF and CAP_PERFMON";
  return false;
}

namespace {

// Why the verifier refused a program during the last load (verifier_log.h).
std::string& refusal() {
  static std::string reason;
  return reason;
}

// libbpf explains failures at length (verifier logs of megabytes); rp reports
// the verifier's last lines. RP_BPF_DEBUG=1 shows all of libbpf's messages.
int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list ap) {
  static const bool debug = getenv("RP_BPF_DEBUG") != nullptr;
  if (level == LIBBPF_DEBUG) return 0;
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n > 0) {
    std::string text(static_cast<size_t>(n) + 1, '\0');
    va_copy(copy, ap);
    vsnprintf(text.data(), text.size(), fmt, copy);
    va_end(copy);
    text.pop_back();
    std::string reason = verifier_reason(text);
    if (!reason.empty()) refusal() = std::move(reason);
  }
  return debug ? vfprintf(stderr, fmt, ap) : 0;
}

class BpfProducer : public KernelProducer {
 public:
  explicit BpfProducer(const BpfConfig& cfg);
  std::string name() const override { return "bpf"; }
  void trace_tgid(pid_t tgid) override;
  void set_outputs(const OutputFiles& out) override {
    rp_output_files k = kernel_output_files(out);
    std::memcpy(&skel_->bss->rp_outputs, &k, sizeof k);
  }
  uint64_t next_seq() override { return __atomic_add_fetch(&skel_->bss->rp_seq, 1, __ATOMIC_SEQ_CST); }
  uint64_t last_seq() override { return __atomic_load_n(&skel_->bss->rp_seq, __ATOMIC_SEQ_CST); }
  size_t drain(int timeout_ms, const RecordFn& fn) override;
  std::optional<rp_rec_syscall> take_stalled(pid_t tid) override;
  std::vector<rp_rec_syscall> take_all_stalled() override;
  uint64_t take_exit_seq(pid_t tid) override;
  rp_stop_point take_stop(pid_t tid) override;
  uint64_t take_entry_stop(pid_t tid) override;
  bool take_repin(pid_t tid) override;
  bool forget_process(pid_t tgid) override;
  std::string exec_path(pid_t tid) override;
  void stop() override;
  Counters counters() override;

 private:
  static int on_record(void* ctx, void* data, size_t size) {
    (*static_cast<BpfProducer*>(ctx)->fn_)(data, size);
    return 0;
  }
  // Owned so that a constructor failing half-way detaches and frees what it
  // made; the ring goes first (it maps the skeleton's map). Members are
  // destroyed in reverse order.
  std::unique_ptr<rp_bpf, decltype(&rp_bpf__destroy)> skel_{nullptr, rp_bpf__destroy};
  std::unique_ptr<ring_buffer, decltype(&ring_buffer__free)> rb_{nullptr, ring_buffer__free};
  const RecordFn* fn_ = nullptr;
  bool late_reported_ = false;
  __u64* tgid_word(pid_t tgid);
  void attach_exit_probe();
  void attach_copy_end();
  std::vector<rp_bpf_counters> per_cpu_counters();
};

// Whether the kernel has the mmap_lock_released tracepoint: a tp_btf
// program for an event the kernel lacks would fail the whole load. Asked of
// the kernel's BTF, which names each raw tracepoint's type (btf_trace_NAME),
// as libbpf does to attach one: tracefs need not be mounted.
bool has_mmap_lock_event() {
  struct BtfFree {
    void operator()(btf* b) const { btf__free(b); }
  };
  std::unique_ptr<btf, BtfFree> vmlinux(btf__load_vmlinux_btf());
  return vmlinux &&
         btf__find_by_name_kind(vmlinux.get(), "btf_trace_mmap_lock_released", BTF_KIND_TYPEDEF) > 0;
}

[[noreturn]] void fail(const std::string& what, int err) {
  std::string why = strerror(err);
  if (err == EPERM || err == EACCES) why += " (needs root, or CAP_BPF and CAP_PERFMON)";
  throw Error("record: backend bpf: " + what + ": " + why);
}

BpfProducer::BpfProducer(const BpfConfig& cfg) {
  if (cfg.ring_bytes < (1u << 20) || (cfg.ring_bytes & (cfg.ring_bytes - 1)))
    throw Error("record: backend bpf: the ring size must be a power of two of at least 1 MiB");
  libbpf_set_print(libbpf_log);
  skel_.reset(rp_bpf__open());
  if (!skel_) fail("cannot open the eBPF program", errno);
  skel_->rodata->cfg_stall = cfg.stall ? 1 : 0;
  skel_->rodata->cfg_one_cpu = cfg.one_cpu ? 1 : 0;
  // Wake the drainer in batches, long before the ring is full.
  skel_->rodata->cfg_wake_bytes = ring_wake_bytes(cfg.ring_bytes);
  // Room for ~3500 switch records (or 430 in a 1 MiB ring) while the drainer
  // waits for a CPU: records that can stall instead leave it free.
  skel_->rodata->cfg_fill_limit = cfg.ring_bytes - std::min<uint64_t>(cfg.ring_bytes / 8, 1u << 20);
  if (!cfg.comm.empty()) {
    skel_->rodata->cfg_by_comm = 1;
    std::strncpy(skel_->rodata->cfg_comm, cfg.comm.c_str(), sizeof skel_->rodata->cfg_comm - 1);
  }
  int err = bpf_map__set_max_entries(skel_->maps.ring, static_cast<uint32_t>(cfg.ring_bytes));
  if (err) fail("cannot size the ring", -err);
  // Attached below, where failing to is no failure of the recording.
  bpf_program__set_autoattach(skel_->progs.rp_exit_mm_release, false);
  bpf_program__set_autoattach(skel_->progs.rp_copy_end_kprobe, false);
  bpf_program__set_autoattach(skel_->progs.rp_copy_end_tp, false);
  bpf_program__set_autoload(skel_->progs.rp_copy_end_tp, cfg.one_cpu && has_mmap_lock_event());
  refusal().clear();
  err = rp_bpf__load(skel_.get());
  if (err && !refusal().empty())  // root or not, EACCES is the verifier's "no" then
    throw Error("record: backend bpf: the kernel refused the eBPF program (" +
                std::string(strerror(-err)) + "), " + refusal());
  if (err) fail("the kernel refused the eBPF program", -err);
  err = rp_bpf__attach(skel_.get());
  if (err) fail("cannot attach to the syscall tracepoints", -err);
  if (cfg.stall) attach_exit_probe();
  if (cfg.one_cpu) attach_copy_end();
  rb_.reset(ring_buffer__new(bpf_map__fd(skel_->maps.ring), on_record, this, nullptr));
  if (!rb_) fail("cannot map the ring", errno);
}

// Sets the process's bit in the program's mapped bitmap (rp_bpf.h): an
// atomic or, as the program's fork hook sets its neighbours' bits in the
// same word.
void BpfProducer::trace_tgid(pid_t tgid) {
  __u64* word = tgid_word(tgid);
  if (!word)
    throw Error("record: backend bpf: cannot add process " + std::to_string(tgid) +
                ": above the largest pid the kernel hands out");
  __atomic_fetch_or(word, RP_TGID_MASK(static_cast<uint32_t>(tgid)), __ATOMIC_SEQ_CST);
}

// The bitmap word holding tgid's bit; null if no pid can be tgid.
__u64* BpfProducer::tgid_word(pid_t tgid) {
  if (tgid <= 0 || static_cast<uint32_t>(tgid) >= RP_TGID_LIMIT) return nullptr;
  return &skel_->bss->rp_tgid_bits[RP_TGID_WORD(static_cast<uint32_t>(tgid))];
}

// Clears the process's bit (rp_fork set it: its parent is traced). A copy
// held in its first stop took at most that stop's number, kept in `stops`
// for a supervisor that never asks: dropped, as a reused tid would find it.
bool BpfProducer::forget_process(pid_t tgid) {
  __u64* word = tgid_word(tgid);
  if (!word) return false;
  __atomic_fetch_and(word, ~RP_TGID_MASK(static_cast<uint32_t>(tgid)), __ATOMIC_SEQ_CST);
  take_stop(tgid);
  return true;
}

rp_stop_point BpfProducer::take_stop(pid_t tid) {
  uint32_t key = static_cast<uint32_t>(tid);
  rp_stop_point v{};
  if (bpf_map__lookup_and_delete_elem(skel_->maps.stops, &key, sizeof key, &v, sizeof v, 0))
    return {};
  return v;
}

uint64_t BpfProducer::take_entry_stop(pid_t tid) {
  uint32_t key = static_cast<uint32_t>(tid);
  uint64_t seq = 0;
  if (bpf_map__lookup_and_delete_elem(skel_->maps.entry_stops, &key, sizeof key, &seq, sizeof seq,
                                      0))
    return 0;
  return seq;
}

size_t BpfProducer::drain(int timeout_ms, const RecordFn& fn) {
  fn_ = &fn;
  // The program wakes the drainer only past a fill threshold; whatever is
  // below it is consumed when the wait times out.
  int a = ring_buffer__poll(rb_.get(), timeout_ms);
  int b = ring_buffer__consume(rb_.get());
  fn_ = nullptr;
  return static_cast<size_t>(std::max(a, 0)) + static_cast<size_t>(std::max(b, 0));
}

std::optional<rp_rec_syscall> BpfProducer::take_stalled(pid_t tid) {
  uint32_t key = static_cast<uint32_t>(tid);
  rp_rec_syscall r;
  if (bpf_map__lookup_and_delete_elem(skel_->maps.stalls, &key, sizeof key, &r, sizeof r, 0))
    return std::nullopt;
  return r;
}

std::vector<rp_rec_syscall> BpfProducer::take_all_stalled() {
  std::vector<rp_rec_syscall> out;
  uint32_t key;
  while (bpf_map__get_next_key(skel_->maps.stalls, nullptr, &key, sizeof key) == 0) {
    auto r = take_stalled(static_cast<pid_t>(key));
    if (!r) break;
    out.push_back(*r);
  }
  return out;
}

// The kprobe that numbers a thread's exit before pthread_join can see it gone
// (rp.bpf.c, number_exit). Without it sched_process_exit numbers exits: in
// time on kernels that fire it before exit_mm() (6.18), late on those that
// fire it after (6.1), which stop() then reports.
void BpfProducer::attach_exit_probe() {
  // In the skeleton's links: it detaches it.
  skel_->links.rp_exit_mm_release = bpf_program__attach(skel_->progs.rp_exit_mm_release);
}

// The hook at the end of a fork's copy of the memory (rp.bpf.c, copy_done):
// the kprobe, cheap, where the kernel has kprobes; else the mmap lock's
// tracepoint, which runs at every unlock of any process's mm (on 6.1 it
// also formats the memcg's path each time: the kprobe is preferred there).
// Without either, copies are numbered at sched_process_fork, later.
void BpfProducer::attach_copy_end() {
  skel_->links.rp_copy_end_kprobe = bpf_program__attach(skel_->progs.rp_copy_end_kprobe);
  if (skel_->links.rp_copy_end_kprobe) return;
  if (bpf_program__autoload(skel_->progs.rp_copy_end_tp))
    skel_->links.rp_copy_end_tp = bpf_program__attach(skel_->progs.rp_copy_end_tp);
  if (!skel_->links.rp_copy_end_tp)
    std::cerr << "rp: warning: backend bpf: no hook at the end of a fork's memory copy (no kprobe "
              << "on uprobe_end_dup_mmap, no mmap_lock_released tracepoint): a thread that runs "
              << "while a fork finishes may replay as a divergence\n";
}

void BpfProducer::stop() {
  rp_bpf__detach(skel_.get());
  if (late_reported_) return;
  late_reported_ = true;
  uint64_t late = 0;
  for (const auto& c : per_cpu_counters()) late += c.late_exits;
  if (late)
    std::cerr << "rp: warning: backend bpf: " << late << " thread exit(s) numbered after exit_mm() "
              << "had woken their joiner (no kprobe on exit_mm_release): replay may diverge at "
              << "a pthread_join or vfork\n";
}

uint64_t BpfProducer::take_exit_seq(pid_t tid) {
  uint32_t key = static_cast<uint32_t>(tid);
  rp_bpf_exit e{};
  if (bpf_map__lookup_and_delete_elem(skel_->maps.exits, &key, sizeof key, &e, sizeof e, 0))
    return 0;
  return e.seq;
}

bool BpfProducer::take_repin(pid_t tid) {
  uint32_t key = static_cast<uint32_t>(tid);
  uint8_t one = 0;
  return bpf_map__lookup_and_delete_elem(skel_->maps.repins, &key, sizeof key, &one, sizeof one,
                                         0) == 0;
}

// Mirrors struct exec_path in rp.bpf.c.
struct ExecPath {
  uint64_t addr;
  uint32_t len, arg;
  char buf[4096];
};

std::string BpfProducer::exec_path(pid_t tid) {
  uint32_t key = static_cast<uint32_t>(tid);
  auto x = std::make_unique<ExecPath>();
  if (bpf_map__lookup_elem(skel_->maps.exec_paths, &key, sizeof key, x.get(), sizeof *x, 0))
    return "";
  return std::string(x->buf, std::min<size_t>(x->len, sizeof x->buf));
}

// The program's per-CPU counters, one entry per possible CPU (none if the
// map cannot be read).
std::vector<rp_bpf_counters> BpfProducer::per_cpu_counters() {
  int ncpu = libbpf_num_possible_cpus();
  std::vector<rp_bpf_counters> v(ncpu > 0 ? static_cast<size_t>(ncpu) : 1);
  uint32_t zero = 0;
  if (bpf_map__lookup_elem(skel_->maps.counters, &zero, sizeof zero, v.data(),
                           v.size() * sizeof v[0], 0))
    v.clear();
  return v;
}

KernelProducer::Counters BpfProducer::counters() {
  Counters c;
  for (const auto& x : per_cpu_counters()) {
    c.records += x.records;
    c.bytes += x.bytes;
    c.ring_full += x.ring_full;
    c.copy_faults += x.copy_faults;
    c.stalls += x.stalls;
    c.lost += x.lost;
    c.switches += x.switches;
    c.wakeups = c.wakeups.value_or(0) + x.wakeups;
  }
  return c;
}

}  // namespace

std::unique_ptr<KernelProducer> make_bpf_producer(const BpfConfig& cfg) {
  std::string why;
  if (!bpf_permitted(&why)) throw Error("record: backend bpf: " + why);
  return std::make_unique<BpfProducer>(cfg);
}

#endif

}  // namespace rp
