#include "shm_segment.h"

#include <fstream>
#include <sstream>
#include <string>

#include "tracee_mem.h"

namespace rp {
namespace {

struct Vma {
  uint64_t start = 0, end = 0, offset = 0;
  std::string dev, inode, path;
};

bool parse_vma(const std::string& line, Vma& v) {
  std::istringstream in(line);
  std::string range, perms, offset;
  if (!(in >> range >> perms >> offset >> v.dev >> v.inode)) return false;
  std::getline(in >> std::ws, v.path);
  size_t dash = range.find('-');
  if (dash == std::string::npos) return false;
  try {
    v.start = std::stoull(range.substr(0, dash), nullptr, 16);
    v.end = std::stoull(range.substr(dash + 1), nullptr, 16);
    v.offset = std::stoull(offset, nullptr, 16);
  } catch (const std::exception&) {
    return false;
  }
  return v.end > v.start;
}

}  // namespace

uint64_t mapping_length_at(pid_t pid, uint64_t addr) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  Vma first, v;
  uint64_t end = 0;
  while (std::getline(maps, line)) {
    if (!parse_vma(line, v)) continue;
    if (!end) {
      if (v.start != addr) continue;
      first = v;
      end = v.end;
    } else if (v.start == end && v.dev == first.dev && v.inode == first.inode &&
               v.path == first.path && v.offset == first.offset + (v.start - addr)) {
      end = v.end;
    } else {
      break;
    }
  }
  return end ? end - addr : 0;
}

std::optional<MemRecord> attached_segment(pid_t tid, uint64_t addr) {
  uint64_t len = mapping_length_at(tid, addr);
  if (!len) return std::nullopt;
  std::string bytes = read_mem(tid, addr, len);
  if (bytes.size() != len) return std::nullopt;
  return MemRecord{addr, std::move(bytes), false};
}

}  // namespace rp
