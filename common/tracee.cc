#include "tracee.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace rp {

int Tracee::mem_fd() {
  if (!mem_) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", tid_);
    mem_.reset(open(path, O_RDWR | O_CLOEXEC));
  }
  return mem_.get();
}

std::string Tracee::read(uint64_t addr, uint64_t len) {
  std::string out(len, '\0');
  uint64_t done = 0;
  while (done < len) {
    iovec local{out.data() + done, len - done};
    iovec remote{reinterpret_cast<void*>(addr + done), len - done};
    ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
    if (n <= 0) break;
    done += static_cast<uint64_t>(n);
  }
  // process_vm_readv stops at the first page it may not read; /proc/pid/mem
  // reads what a debugger can (e.g. pages without PROT_READ).
  if (done < len && mem_fd() >= 0) {
    while (done < len) {
      ssize_t n = pread(mem_.get(), out.data() + done, len - done, static_cast<off_t>(addr + done));
      if (n <= 0) break;
      done += static_cast<uint64_t>(n);
    }
  }
  out.resize(done);
  return out;
}

namespace {

template <typename T>
std::optional<T> value_of(const std::string& bytes) {
  if (bytes.size() != sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, bytes.data(), sizeof v);
  return v;
}

}  // namespace

std::optional<uint64_t> Tracee::read_u64(uint64_t addr) { return value_of<uint64_t>(read(addr, 8)); }

std::optional<uint32_t> Tracee::read_u32(uint64_t addr) { return value_of<uint32_t>(read(addr, 4)); }

std::string Tracee::read_cstring(uint64_t addr, size_t max) {
  std::string out;
  // Page-bounded chunks, so that a string ending just before an unmapped
  // page is read whole.
  while (out.size() < max) {
    uint64_t a = addr + out.size();
    uint64_t chunk = 4096 - (a & 4095);
    std::string b = read(a, std::min<uint64_t>(chunk, max - out.size()));
    if (b.empty()) break;
    size_t nul = b.find('\0');
    if (nul != std::string::npos) return out + b.substr(0, nul);
    out += b;
  }
  return out;
}

bool Tracee::write(uint64_t addr, const std::string& bytes) {
  // process_vm_writev copies once, straight into the target's pages;
  // /proc/pid/mem copies each page twice through a kernel bounce page (most
  // of the replay agent's window writes went there). It stops at the first
  // page it may not write (read-only code, patches): the rest goes through
  // /proc/pid/mem, which writes like a debugger.
  size_t done = 0;
  while (done < bytes.size()) {
    iovec local{const_cast<char*>(bytes.data()) + done, bytes.size() - done};
    iovec remote{reinterpret_cast<void*>(addr + done), bytes.size() - done};
    ssize_t n = process_vm_writev(tid_, &local, 1, &remote, 1, 0);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (done == bytes.size()) return true;
  if (mem_fd() < 0) return false;
  while (done < bytes.size()) {
    ssize_t n = pwrite(mem_.get(), bytes.data() + done, bytes.size() - done,
                       static_cast<off_t>(addr + done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  return done == bytes.size();
}

std::optional<uint64_t> Tracee::read_word(uint64_t addr, int size) {
  if (size != 4) return read_u64(addr);
  auto v = read_u32(addr);
  return v ? std::optional<uint64_t>(*v) : std::nullopt;
}

WordReader Tracee::word_reader() {
  return [this](uint64_t addr, int size) { return read_word(addr, size); };
}

std::string Tracee::input_bytes(const SyscallSpec& s, const uint64_t args[6]) {
  std::string data;
  for (const auto& r : input_regions(s, args, word_reader())) data += read(r.addr, r.len);
  return data;
}

std::optional<uint64_t> status_field(std::string_view status, std::string_view name, int base) {
  while (!status.empty()) {
    size_t eol = status.find('\n');
    std::string_view line = status.substr(0, eol);
    status = eol == std::string_view::npos ? std::string_view{} : status.substr(eol + 1);
    if (!line.starts_with(name) || line.substr(name.size(), 1) != ":") continue;
    line.remove_prefix(name.size() + 1);
    line.remove_prefix(std::min(line.find_first_not_of(" \t"), line.size()));
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v, base);
    if (ec != std::errc() || end == line.data() || end != line.data() + line.size())
      return std::nullopt;
    return v;
  }
  return std::nullopt;
}

std::string read_proc_text(const char* path) {
  unique_fd fd(open(path, O_RDONLY | O_CLOEXEC));
  std::string text;
  if (!fd) return text;
  char buf[4096];
  for (ssize_t n; (n = read(fd.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  return text;
}

std::string proc_link(pid_t pid, const std::string& name) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  char b[4096];
  ssize_t n = readlink(path.c_str(), b, sizeof b - 1);
  return n > 0 ? std::string(b, static_cast<size_t>(n)) : "";
}

long long stack_soft_limit(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/limits", pid);
  const std::string text = read_proc_text(path);
  constexpr std::string_view kLine = "Max stack size";
  const size_t at = text.find(kLine);
  if (at == std::string::npos) return -1;
  const char* p = text.c_str() + at + kLine.size();
  while (*p == ' ') p++;
  long long v = -1;
  if (std::from_chars(p, text.c_str() + text.size(), v).ec != std::errc()) return -1;
  return v;  // "unlimited" does not parse: -1
}

std::string proc_status(pid_t tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  return read_proc_text(path);
}

std::optional<uint64_t> proc_status_field(pid_t tid, std::string_view name, int base) {
  return status_field(proc_status(tid), name, base);
}

std::string fdinfo_text(pid_t pid, uint64_t fd) {
  char path[80];
  snprintf(path, sizeof path, "/proc/%d/fdinfo/%llu", pid, static_cast<unsigned long long>(fd));
  return read_proc_text(path);
}

std::optional<int> fd_access_mode(pid_t pid, uint64_t fd) {
  auto flags = status_field(fdinfo_text(pid, fd), "flags", 8);
  if (!flags) return std::nullopt;
  return static_cast<int>(*flags & O_ACCMODE);
}

std::vector<pid_t> namespace_pids(std::string_view status) {
  std::vector<pid_t> pids;
  size_t at = status.find("\nNSpid:");
  if (at == std::string_view::npos) return pids;
  size_t end = std::min(status.find('\n', at + 1), status.size());
  for (size_t i = at + 7; i < end;) {
    if (status[i] < '0' || status[i] > '9') {
      i++;
      continue;
    }
    pid_t v = 0;
    auto r = std::from_chars(status.data() + i, status.data() + end, v);
    pids.push_back(v);
    i = static_cast<size_t>(r.ptr - status.data());
  }
  return pids;
}

bool pid_namespace_init(std::string_view status) {
  const std::vector<pid_t> pids = namespace_pids(status);
  return pids.size() > 1 && pids.back() == 1;  // not the reader's own init
}

char stat_state(std::string_view stat) {
  // The name in parentheses may hold anything, ')' too: the state follows the last one.
  size_t close = stat.rfind(')');
  return close != std::string_view::npos && close + 2 < stat.size() && stat[close + 1] == ' '
             ? stat[close + 2]
             : '?';
}

char proc_task_state(pid_t tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", tid);
  unique_fd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return '?';
  char buf[512];  // pid, (name of at most 64 bytes), state: well inside
  ssize_t n = read(fd.get(), buf, sizeof buf);
  return n > 0 ? stat_state(std::string_view(buf, static_cast<size_t>(n))) : '?';
}

pid_t parent_of(pid_t pid) {
  return static_cast<pid_t>(proc_status_field(pid, "PPid", 10).value_or(0));
}

}  // namespace rp
