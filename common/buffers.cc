#include "buffers.h"

#include <sys/syscall.h>

#include <fstream>
#include <string>

#include "rp_abi.h"  // before rp_rules.h, which is included inside namespace rp

namespace rp {
namespace {

// The C++ environment of the shared rules (rp_rules.h): regions go into a
// vector, words come from the caller's reader.
struct CppSink {
  std::vector<Region>* out;
  const WordReader* rd;
  const KernelFacts* facts = nullptr;
};

bool rp_sink_read(CppSink* k, __u64 addr, int size, __u64* v) {
  auto w = (*k->rd)(addr, size);
  if (w) *v = *w;
  return w.has_value();
}
void rp_sink_put(CppSink* k, __u64 addr, __u64 len) { k->out->push_back({addr, len}); }
bool rp_sink_stopped(const CppSink*) { return false; }
bool rp_sink_sem_nsems(CppSink* k, __u64 semid, __u64* n) {
  if (!k->facts || !k->facts->sem_nsems) return false;
  auto v = k->facts->sem_nsems(semid);
  if (v) *n = *v;
  return v.has_value();
}

bool rp_sink_fd_reads(CppSink* k, __u64 fd) {
  return k->facts && k->facts->fd_reads && k->facts->fd_reads(fd);
}

__u64 rp_sink_file_end(CppSink* k, __u64 addr) {
  return k->facts && k->facts->file_end ? k->facts->file_end(addr) : 0;
}

bool rp_sink_bpf_map(CppSink* k, __u64 fd, __u64* key, __u64* value) {
  uint64_t kb = 0, vb = 0;
  if (!k->facts || !k->facts->bpf_map || !k->facts->bpf_map(fd, &kb, &vb)) return false;
  *key = kb;
  *value = vb;
  return true;
}

#define RP_SINK CppSink
#define RP_RULES_BPF_MAP
#define RP_RULES_SEM_NSEMS
#define RP_RULES_FD_READS
#define RP_RULES_FILE_MAPPED
#define RP_LOOP(n, fn, ctx)            \
  for (__u32 i_ = 0; i_ < (n); i_++) \
    if (fn(i_, ctx)) break
#include "rp_rules.h"

// Syscall arguments as the rules' type (__u64 is unsigned long long).
struct Args {
  __u64 v[6];
  explicit Args(const uint64_t a[6]) {
    for (int i = 0; i < 6; i++) v[i] = a[i];
  }
};

}  // namespace

uint64_t ioctl_output_size(uint64_t req, bool* known) { return rp_ioctl_size(req, known); }

std::optional<Region> at_random_region(int tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/auxv", std::ios::binary);
  std::vector<__u64> words;
  __u64 w;
  while (in.read(reinterpret_cast<char*>(&w), sizeof w)) words.push_back(w);
  __u64 addr = 0;
#define RP_AUXV_WORD(i) words[static_cast<size_t>(i)]
  RP_AUXV_FIND_RANDOM(RP_AUXV_WORD, static_cast<int>(words.size()), &addr);
#undef RP_AUXV_WORD
  if (!addr) return std::nullopt;
  return Region{addr, RP_AT_RANDOM_LEN};
}

bool syscall_failed(int64_t ret) { return rp_is_error(ret); }

bool is_file_mmap(const SyscallSpec* s, const uint64_t args[6], int64_t ret) {
  return s && rp_is_file_mmap(s->policy, ret, Args(args).v);
}

EntryLens entry_lens(const SyscallSpec& s, const uint64_t args[6], const WordReader& rd) {
  EntryLens l;
  std::vector<Region> none;
  CppSink k{&none, &rd};
  Args a(args);
  for (const auto& o : s.out)
    if (o.present()) rp_entry_len(&k, o.kind, o.arg, o.p1, a.v, l.len);
  return l;
}

int64_t buffers_nr(int64_t nr, const uint64_t args[6]) {
  static_assert(RP_NR_RESTART_SYSCALL == SYS_restart_syscall);
  Args a(args);
  return rp_buffers_nr(nr, a.v);
}

void restart_note(rp_restart& r, int64_t nr, const uint64_t args[6], int64_t ret) {
  Args a(args);
  rp_restart_note(&r, nr, a.v, ret);
}

void restart_args(const rp_restart& r, uint64_t args[6]) {
  __u64 v[6];
  rp_restart_args(&r, v);
  for (int i = 0; i < 6; i++) args[i] = v[i];
}

const SyscallSpec* buffers_spec(int64_t nr, const uint64_t args[6]) {
  return syscall_spec(buffers_nr(nr, args));
}

std::vector<Region> output_regions(const SyscallSpec& s, const uint64_t args[6], int64_t ret,
                                   const EntryLens& lens, const WordReader& rd,
                                   const KernelFacts* facts) {
  std::vector<Region> out;
  CppSink k{&out, &rd, facts};
  Args a(args);
  for (const auto& o : s.out)
    if (o.present()) rp_put_output(&k, o.kind, o.arg, o.p1, o.p2, a.v, ret, lens.len);
  return out;
}

std::vector<Region> input_regions(const SyscallSpec& s, const uint64_t args[6],
                                  const WordReader& rd) {
  std::vector<Region> out;
  CppSink k{&out, &rd};
  Args a(args);
  if (s.input.present()) rp_put_input(&k, s.input.kind, s.input.arg, s.input.p1, a.v);
  return out;
}

}  // namespace rp
