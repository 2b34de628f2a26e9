#include "kmod_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "error.h"

namespace rp {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  std::string why = strerror(err);
  if (err == ENOENT || err == ENXIO || err == ENODEV)
    why = "no /dev/rp: load the module first (insmod rp.ko, see docs/kmod.md)";
  else if (err == EACCES || err == EPERM)
    why += " (/dev/rp needs root: CAP_SYS_ADMIN)";
  else if (err == EBUSY)
    why += " (another rp is recording with the module)";
  throw Error("record: backend kmod: " + what + ": " + why);
}

class KmodProducer : public KernelProducer {
 public:
  explicit KmodProducer(const KmodConfig& cfg);
  ~KmodProducer() override;
  std::string name() const override { return "kmod"; }
  void trace_tgid(pid_t tgid) override;
  uint64_t next_seq() override;
  uint64_t last_seq() override { return raw_counters().seq; }
  size_t drain(int timeout_ms, const RecordFn& fn) override;
  // The module completes every record itself except a kernel copy into the
  // program's stdout or stderr, parked at the thread's stop (docs/kmod.md).
  std::optional<rp_rec_syscall> take_stalled(pid_t tid) override;
  // A parked thread always reaches its stop (or dies, and its record is lost
  // and counted by the decoder): nothing is left to take at the end.
  std::vector<rp_rec_syscall> take_all_stalled() override { return {}; }
  void set_outputs(const OutputFiles& out) override;
  rp_stop_point take_stop(pid_t tid) override;
  uint64_t take_entry_stop(pid_t tid) override;
  bool take_repin(pid_t tid) override { return take(tid, RP_TAKE_REPIN) != 0; }
  uint64_t take_exit_seq(pid_t tid) override { return take(tid, RP_TAKE_EXIT_SEQ); }
  bool forget_process(pid_t tgid) override;
  void stop() override;
  Counters counters() override;

 private:
  void start(rp_kmod_config c);
  rp_kmod_counters raw_counters();
  void consume();
  uint64_t take(pid_t tid, uint32_t what);
  int take_raw(pid_t tid, uint32_t what, uint64_t* value);

  KmodConfig cfg_;
  int fd_ = -1;
  uint8_t* map_ = nullptr;
  size_t map_len_ = 0;
  uint64_t tail_ = 0, consumed_ = 0;
  pid_t root_ = 0;
  bool started_ = false, stopped_ = false;
};

KmodProducer::KmodProducer(const KmodConfig& cfg) : cfg_(cfg) {
  const uint64_t r = cfg.ring_bytes;
  if (r < (256u << 10) || r > (1u << 30) || (r & (r - 1)))
    throw Error("record: backend kmod: the ring size must be a power of two, 256 KiB to 1 GiB");
  fd_ = open(cfg.device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) fail("cannot open " + cfg.device, errno);
  if (!cfg.comm.empty()) {
    rp_kmod_config c{};
    std::strncpy(c.comm, cfg.comm.c_str(), sizeof c.comm - 1);
    start(c);
  }
}

KmodProducer::~KmodProducer() {
  if (map_) munmap(map_, map_len_);
  if (fd_ >= 0) close(fd_);  // the module stops and frees the ring
}

void KmodProducer::start(rp_kmod_config c) {
  c.ring_bytes = static_cast<uint32_t>(cfg_.ring_bytes);
  // Wake the drainer in batches, long before the ring is full.
  c.wake_bytes = static_cast<uint32_t>(ring_wake_bytes(cfg_.ring_bytes));
  // ENOSYS refusals are left to launch's seccomp filter: refusing rseq in a
  // process that already registered it (-p) would kill its new threads.
  c.flags = RP_KMOD_F_INPUTS;
  if (cfg_.switches) c.flags |= RP_KMOD_F_SWITCHES;
  if (ioctl(fd_, RP_IOC_CONFIGURE, &c) != 0) fail("configure", errno);
  map_len_ = RP_KMOD_DATA_OFFSET + cfg_.ring_bytes;
  void* m = mmap(nullptr, map_len_, PROT_READ, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) fail("cannot map the ring", errno);
  map_ = static_cast<uint8_t*>(m);
  tail_ = consumed_ = reinterpret_cast<const rp_kmod_ring_hdr*>(map_)->tail;
  if (ioctl(fd_, RP_IOC_START) != 0) fail("start", errno);
  started_ = true;
}

void KmodProducer::trace_tgid(pid_t tgid) {
  if (started_ && tgid == root_) return;
  if (started_)
    throw Error("record: backend kmod: traces one process tree (or one comm) per recording");
  rp_kmod_config c{};
  c.root_pid = tgid;  // its threads now, its children at fork
  root_ = tgid;
  start(c);
}

uint64_t KmodProducer::next_seq() {
  uint64_t v = 0;
  if (ioctl(fd_, RP_IOC_SEQ, &v) != 0) fail("sequence number", errno);
  return v;
}

// RP_IOC_TAKE: 0, or the errno it failed with.
int KmodProducer::take_raw(pid_t tid, uint32_t what, uint64_t* value) {
  rp_kmod_take t{};
  t.tid = tid;
  t.what = what;
  if (ioctl(fd_, RP_IOC_TAKE, &t) != 0) return errno;
  *value = t.value;
  return 0;
}

uint64_t KmodProducer::take(pid_t tid, uint32_t what) {
  uint64_t v = 0;
  int err = take_raw(tid, what, &v);
  if (err == ESRCH) return 0;  // not (or no longer) traced: nothing noted
  if (err) fail("stop state of thread " + std::to_string(tid), err);
  return v;
}

// The module's number for the entry of the call tid is stopped at the entry
// of; a module older than RP_TAKE_ENTRY_SEQ (EINVAL): none.
uint64_t KmodProducer::take_entry_stop(pid_t tid) {
  uint64_t v = 0;
  int err = take_raw(tid, RP_TAKE_ENTRY_SEQ, &v);
  if (err == ESRCH || err == EINVAL) return 0;
  if (err) fail("entry number of thread " + std::to_string(tid), err);
  return v;
}

// The module's number and digest of tid's signal stop; a module older than
// RP_IOC_TAKE_STOP_POINT (ENOTTY): the number alone.
rp_stop_point KmodProducer::take_stop(pid_t tid) {
  rp_kmod_stop_point sp{};
  sp.tid = tid;
  if (ioctl(fd_, RP_IOC_TAKE_STOP_POINT, &sp) == 0) return sp.point;
  if (errno == ESRCH) return {};
  if (errno != ENOTTY) fail("stop state of thread " + std::to_string(tid), errno);
  rp_stop_point p{};
  p.seq = take(tid, RP_TAKE_STOP_SEQ);
  return p;
}

// The copy is one thread (its tid is its tgid). Not traced (ESRCH): nothing
// to forget. A module older than RP_TAKE_FORGET says EINVAL: false.
bool KmodProducer::forget_process(pid_t tgid) {
  uint64_t unused;
  int err = take_raw(tgid, RP_TAKE_FORGET, &unused);
  return err == 0 || err == ESRCH;
}

void KmodProducer::set_outputs(const OutputFiles& out) {
  // Only a replayable recording has a supervisor to complete such calls.
  if (!cfg_.switches) return;
  rp_output_files k = kernel_output_files(out);
  if (ioctl(fd_, RP_IOC_OUTPUTS, &k) != 0) fail("output files", errno);
}

std::optional<rp_rec_syscall> KmodProducer::take_stalled(pid_t tid) {
  rp_kmod_stalled st{};
  st.tid = tid;
  if (ioctl(fd_, RP_IOC_TAKE_STALLED, &st) == 0) return st.rec;
  if (errno == ENOENT || errno == ESRCH) return std::nullopt;  // not parked, or not traced
  fail("parked record of thread " + std::to_string(tid), errno);
}

rp_kmod_counters KmodProducer::raw_counters() {
  rp_kmod_counters k{};
  if (ioctl(fd_, RP_IOC_COUNTERS, &k) != 0) fail("counters", errno);
  return k;
}

void KmodProducer::consume() {
  if (tail_ == consumed_) return;
  if (ioctl(fd_, RP_IOC_CONSUME, &tail_) != 0) fail("consume", errno);
  consumed_ = tail_;
}

size_t KmodProducer::drain(int timeout_ms, const RecordFn& fn) {
  if (!started_) {
    if (timeout_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return 0;
  }
  // The module wakes poll() past a fill threshold (or when a thread waits
  // for room); below it the timeout collects what is there.
  pollfd p{fd_, POLLIN, 0};
  if (timeout_ms != 0) poll(&p, 1, timeout_ms);
  const auto* hdr = reinterpret_cast<const rp_kmod_ring_hdr*>(map_);
  const uint8_t* data = map_ + RP_KMOD_DATA_OFFSET;
  const uint64_t ring = cfg_.ring_bytes;
  const uint64_t head = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
  size_t n = 0;
  while (tail_ < head) {
    const uint64_t off = tail_ & (ring - 1);
    const auto* h = reinterpret_cast<const rp_rec_hdr*>(data + off);
    if (__atomic_load_n(&h->type, __ATOMIC_ACQUIRE) == 0) break;  // still being written
    const uint32_t size = h->size;
    if (size < sizeof *h || size % 8 || size > ring - off)
      throw Error("record: backend kmod: damaged ring record at " + std::to_string(tail_));
    if (h->type != RP_REC_PAD) {
      fn(h, size);
      n++;
    }
    tail_ += size;
    // Hand space back while decoding a large batch: threads may be waiting.
    if (tail_ - consumed_ >= ring / 8) consume();
  }
  consume();
  return n;
}

void KmodProducer::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  if (ioctl(fd_, RP_IOC_STOP) != 0) fail("stop", errno);
  // Records being completed at some thread's return to user space are still
  // coming (the drain thread keeps making room for them): wait for them, so
  // that everything is drainable when this returns.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (raw_counters().inflight != 0) {
    if (std::chrono::steady_clock::now() > deadline)
      throw Error("record: backend kmod: deferred records did not complete within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

KernelProducer::Counters KmodProducer::counters() {
  rp_kmod_counters k = raw_counters();
  Counters c;
  c.records = k.records;
  c.bytes = k.bytes;
  c.ring_full = k.ring_full;
  c.copy_faults = k.copy_faults;
  c.stalls = k.stalls;
  c.lost = k.lost;
  c.switches = k.switches;
  return c;
}

}  // namespace

std::unique_ptr<KernelProducer> make_kmod_producer(const KmodConfig& cfg) {
  return std::make_unique<KmodProducer>(cfg);
}

std::unique_ptr<KernelProducer> make_kmod_producer(size_t ring_bytes, bool stall,
                                                   const std::string& comm) {
  KmodConfig cfg;
  cfg.ring_bytes = ring_bytes;
  cfg.comm = comm;
  cfg.switches = stall && comm.empty();  // rp record -- PROG, under its ptrace supervisor
  return make_kmod_producer(cfg);
}

}  // namespace rp
