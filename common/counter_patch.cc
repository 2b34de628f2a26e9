#include "counter_patch.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <sstream>

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

namespace {

// The program's own code: executable, private and backed by a file (not
// [vdso], which vdso.cc patches, nor anonymous JIT memory).
bool is_program_code(const ProcMap& m) {
  return m.perms[2] == 'x' && !m.shared() && !m.path.empty() && m.path[0] == '/';
}

struct CodeEdit {
  uint64_t addr = 0;
  std::string bytes;
};

#if defined(__aarch64__)
// The brk words for the counter reads in `code` (or, restoring, the mrs
// words for the brks).
std::vector<CodeEdit> counter_edits(std::string_view code, uint64_t base, bool restore) {
  std::vector<CodeEdit> out;
  auto word_bytes = [](uint32_t w) { return std::string(reinterpret_cast<const char*>(&w), 4); };
  if (!restore) {
    for (const CounterSite& s : find_counter_reads(code, base))
      out.push_back(CodeEdit{s.addr, word_bytes(encode_counter_trap(s.read))});
    return out;
  }
  std::string shown(code);
  show_counter_reads(base, shown);
  for (size_t i = 0; i + 4 <= code.size(); i += 4)  // mappings are page aligned
    if (code.compare(i, 4, shown, i, 4) != 0) out.push_back(CodeEdit{base + i, shown.substr(i, 4)});
  return out;
}
#elif defined(__x86_64__)
std::vector<CodeEdit> counter_edits(std::string_view code, uint64_t base, bool restore) {
  std::vector<CodeEdit> out;
  for (const TscSite& s : restore ? find_tsc_traps(code, base) : find_tsc_reads(code, base))
    out.push_back(CodeEdit{s.addr, restore ? encode_tsc_read(s.kind) : encode_tsc_trap(s.kind)});
  return out;
}
#else
std::vector<CodeEdit> counter_edits(std::string_view, uint64_t, bool) { return {}; }
#endif

bool apply_edits(pid_t tid, std::string_view code, uint64_t base, bool restore) {
  for (const CodeEdit& e : counter_edits(code, base, restore))
    if (!write_mem(tid, e.addr, e.bytes)) return false;
  return true;
}

}  // namespace

bool patches_counter_reads() {
#if defined(__aarch64__)
  return true;
#else
  return rdtsc_patched();
#endif
}

bool patch_counter_reads_in(pid_t tid, const std::vector<CodeRange>& ranges, std::string* error) {
  if (!patches_counter_reads()) return true;
  for (const CodeRange& r : ranges) {
    if (!apply_edits(tid, read_mem(tid, r.addr, r.len), r.addr, /*restore=*/false)) {
      if (error) *error = "counter reads: cannot patch the code mapped in thread " + std::to_string(tid);
      return false;
    }
  }
  return true;
}

namespace {

// The program-code mappings of tid within [lo, hi): whole, or (sections)
// only their files' code sections where the file tells them.
std::vector<CodeRange> program_code(pid_t tid, uint64_t lo, uint64_t hi, bool sections) {
  std::vector<CodeRange> out;
  if (hi <= lo) return out;
  const std::vector<CodeRange> window{CodeRange{lo, hi - lo}};
  for (const ProcMap& m : read_proc_maps(tid)) {
    if (!is_program_code(m)) continue;
    const std::vector<CodeRange> whole{CodeRange{m.start, m.size()}};
    const std::vector<CodeRange> parts =
        sections ? elf_code_parts(tid, m).value_or(whole) : whole;
    for (const CodeRange& r : clip_ranges(parts, window)) out.push_back(r);
  }
  return out;
}

}  // namespace

std::vector<CodeRange> mapped_code(pid_t tid, uint64_t lo, uint64_t hi) {
  return program_code(tid, lo, hi, false);
}

std::vector<CodeRange> mapped_code_sections(pid_t tid, uint64_t lo, uint64_t hi) {
  return program_code(tid, lo, hi, true);
}

std::vector<CodeRange> clip_ranges(const std::vector<CodeRange>& ranges,
                                   const std::vector<CodeRange>& allowed) {
  std::vector<CodeRange> out;
  for (const CodeRange& r : ranges)
    for (const CodeRange& w : allowed) {
      const uint64_t a = std::max(r.addr, w.addr), b = std::min(r.addr + r.len, w.addr + w.len);
      if (a < b) out.push_back(CodeRange{a, b - a});
    }
  return out;
}

std::string format_code_sweep(pid_t tid, uint64_t lo, uint64_t hi,
                              const std::vector<CodeRange>& ranges) {
  std::string s = std::to_string(tid) + " " + std::to_string(lo) + " " + std::to_string(hi);
  for (const CodeRange& r : ranges) s += " " + std::to_string(r.addr) + " " + std::to_string(r.len);
  return s;
}

std::optional<NotedSweep> parse_code_sweep(const std::string& item) {
  constexpr size_t kMaxRanges = 4096;
  std::istringstream in(item);
  NotedSweep n;
  long long tid = 0;
  if (!(in >> tid >> n.lo >> n.hi) || tid < 1 || tid > INT32_MAX || n.lo > n.hi) return std::nullopt;
  n.tid = static_cast<int32_t>(tid);
  CodeRange r;
  while (in >> r.addr) {
    if (!(in >> r.len) || r.addr > UINT64_MAX - r.len || n.ranges.size() == kMaxRanges)
      return std::nullopt;
    n.ranges.push_back(r);
  }
  if (!in.eof()) return std::nullopt;
  return n;
}

bool unpatch_counter_reads(pid_t tid, std::string* error) {
  if (!patches_counter_reads()) return true;
  // The code the recorder swept: a data byte pair there that reads as its
  // trap is left as it is.
  for (const CodeRange& r : mapped_code_sections(tid, 0, UINT64_MAX)) {
    if (!apply_edits(tid, read_mem(tid, r.addr, r.len), r.addr, /*restore=*/true)) {
      if (error) *error = "counter reads: cannot restore the code in thread " + std::to_string(tid);
      return false;
    }
  }
  return true;
}

bool patch_exec_image(pid_t tid, const std::vector<CodeRange>& code, std::string* error) {
  return patch_vdso(tid, error) && patch_counter_reads_in(tid, code, error);
}

}  // namespace rp
