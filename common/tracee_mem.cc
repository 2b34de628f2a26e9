#include "tracee_mem.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

namespace rp {

std::string read_mem(pid_t tid, uint64_t addr, uint64_t len) {
  std::string out(len, '\0');
  uint64_t done = 0;
  while (done < len) {
    iovec local{out.data() + done, len - done};
    iovec remote{reinterpret_cast<void*>(addr + done), len - done};
    ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n <= 0) break;
    done += static_cast<uint64_t>(n);
  }
  if (done < len) {
    // process_vm_readv stops at the first page it may not read; /proc/pid/mem
    // reads what a debugger can (e.g. pages without PROT_READ).
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      while (done < len) {
        ssize_t n = pread(fd, out.data() + done, len - done, static_cast<off_t>(addr + done));
        if (n <= 0) break;
        done += static_cast<uint64_t>(n);
      }
      close(fd);
    }
  }
  out.resize(done);
  return out;
}

std::optional<uint64_t> read_u64(pid_t tid, uint64_t addr) {
  std::string b = read_mem(tid, addr, 8);
  if (b.size() != 8) return std::nullopt;
  uint64_t v;
  std::memcpy(&v, b.data(), 8);
  return v;
}

std::optional<uint32_t> read_u32(pid_t tid, uint64_t addr) {
  std::string b = read_mem(tid, addr, 4);
  if (b.size() != 4) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, b.data(), 4);
  return v;
}

std::string read_cstring(pid_t tid, uint64_t addr, size_t max) {
  std::string out;
  // Read page-bounded chunks so a string ending just before an unmapped page works.
  while (out.size() < max) {
    uint64_t a = addr + out.size();
    uint64_t chunk = 4096 - (a & 4095);
    std::string b = read_mem(tid, a, std::min<uint64_t>(chunk, max - out.size()));
    if (b.empty()) break;
    size_t nul = b.find('\0');
    if (nul != std::string::npos) return out + b.substr(0, nul);
    out += b;
  }
  return out;
}

bool write_mem(pid_t tid, uint64_t addr, const std::string& bytes) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", tid);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done,
                       static_cast<off_t>(addr + done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  return done == bytes.size();
}

}  // namespace rp

namespace rp {

WordReader tracee_word_reader(pid_t tid) {
  return [tid](uint64_t addr, int size) -> std::optional<uint64_t> {
    if (size == 4) {
      auto v = read_u32(tid, addr);
      return v ? std::optional<uint64_t>(*v) : std::nullopt;
    }
    return read_u64(tid, addr);
  };
}

}  // namespace rp
