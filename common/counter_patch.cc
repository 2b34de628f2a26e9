#include "counter_patch.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>

#include "proc_maps.h"
#include "tracee_mem.h"
#include "vdso.h"

namespace rp {

std::vector<CounterSite> find_counter_reads(std::string_view code, uint64_t base) {
  std::vector<CounterSite> out;
  // A64 instructions are 4-byte aligned: start at the first aligned address.
  size_t i = static_cast<size_t>((4 - base % 4) % 4);
  for (; i + 4 <= code.size(); i += 4) {
    uint32_t word;
    std::memcpy(&word, code.data() + i, sizeof word);
    if (auto r = decode_counter_read(word)) out.push_back(CounterSite{base + i, *r});
  }
  return out;
}

void show_counter_reads(uint64_t addr, std::string& bytes) {
  for (size_t i = static_cast<size_t>((4 - addr % 4) % 4); i + 4 <= bytes.size(); i += 4) {
    uint32_t word;
    std::memcpy(&word, bytes.data() + i, sizeof word);
    if (auto r = decode_counter_trap(word)) {
      word = encode_counter_read(*r);
      std::memcpy(bytes.data() + i, &word, sizeof word);
    }
  }
}

std::optional<CodeRange> exec_map_range(int64_t nr, const uint64_t args[6], int64_t ret) {
  if (ret < 0 && ret > -4096) return std::nullopt;  // failed
  if (!(args[2] & PROT_EXEC)) return std::nullopt;
  auto whole_pages = [](uint64_t len) { return (len + 4095) & ~uint64_t{4095}; };
  if (nr == SYS_mmap) {
    if ((args[3] & MAP_ANONYMOUS) || (args[3] & 0x3) != MAP_PRIVATE) return std::nullopt;
    return CodeRange{static_cast<uint64_t>(ret), whole_pages(args[1])};
  }
  if (nr == SYS_mprotect || nr == SYS_pkey_mprotect) return CodeRange{args[0], whole_pages(args[1])};
  return std::nullopt;
}

#if defined(__aarch64__)
namespace {

// The program's own code: executable, private and backed by a file (not
// [vdso], which vdso.cc patches, nor anonymous JIT memory).
bool is_program_code(const ProcMap& m) {
  return m.perms[2] == 'x' && !m.shared() && !m.path.empty() && m.path[0] == '/';
}

}  // namespace

bool patch_counter_reads(pid_t tid, std::string* error) {
  std::vector<CodeRange> code;
  for (const ProcMap& m : read_proc_maps(tid))
    if (is_program_code(m)) code.push_back(CodeRange{m.start, m.size()});
  return patch_counter_reads_in(tid, code, error);
}

bool patch_counter_reads_in(pid_t tid, const std::vector<CodeRange>& ranges, std::string* error) {
  for (const CodeRange& r : ranges) {
    for (const CounterSite& s : find_counter_reads(read_mem(tid, r.addr, r.len), r.addr)) {
      uint32_t trap = encode_counter_trap(s.read);
      if (!write_mem(tid, s.addr, std::string(reinterpret_cast<const char*>(&trap), sizeof trap))) {
        if (error) *error = "counter reads: cannot patch the code mapped in thread " + std::to_string(tid);
        return false;
      }
    }
  }
  return true;
}

bool patch_mapped_code(pid_t tid, int64_t nr, const uint64_t args[6], int64_t ret,
                       std::string* error) {
  auto r = exec_map_range(nr, args, ret);
  if (!r) return true;
  std::vector<CodeRange> parts;
  for (const ProcMap& m : read_proc_maps(tid)) {
    uint64_t lo = std::max(m.start, r->addr), hi = std::min(m.end, r->addr + r->len);
    if (lo < hi && is_program_code(m)) parts.push_back(CodeRange{lo, hi - lo});
  }
  return patch_counter_reads_in(tid, parts, error);
}

bool unpatch_counter_reads(pid_t tid, std::string* error) {
  for (const ProcMap& m : read_proc_maps(tid)) {
    if (!is_program_code(m)) continue;
    std::string code = read_mem(tid, m.start, m.size()), shown = code;
    show_counter_reads(m.start, shown);
    for (size_t i = 0; i + 4 <= code.size(); i += 4) {  // mappings are page aligned
      if (code.compare(i, 4, shown, i, 4) == 0) continue;
      if (!write_mem(tid, m.start + i, shown.substr(i, 4))) {
        if (error) *error = "counter reads: cannot restore " + m.path + " in thread " + std::to_string(tid);
        return false;
      }
    }
  }
  return true;
}
#else
bool patch_counter_reads(pid_t, std::string*) { return true; }  // x86_64 traps rdtsc instead
bool patch_counter_reads_in(pid_t, const std::vector<CodeRange>&, std::string*) { return true; }
bool patch_mapped_code(pid_t, int64_t, const uint64_t*, int64_t, std::string*) { return true; }
bool unpatch_counter_reads(pid_t, std::string*) { return true; }
#endif

bool patch_exec_image(pid_t tid, std::string* error) {
  return patch_vdso(tid, error) && patch_counter_reads(tid, error);
}

}  // namespace rp
