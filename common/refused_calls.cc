#include "refused_calls.h"

#include <cerrno>
#include <charconv>
#include <sstream>

#include "syscall_table.h"

namespace rp {
namespace {

bool reported(const SyscallSpec* s) {
  return s && s->policy == RP_POLICY_ENOSYS && std::string_view(s->name) != "rseq" &&
         std::string_view(s->name) != "clone3";
}

}  // namespace

void RefusedCalls::count(int64_t nr, int64_t ret) {
  if (ret != -ENOSYS) return;
  const SyscallSpec* s = syscall_spec(nr);
  if (reported(s)) by_name_[s->name]++;
}

std::string RefusedCalls::meta() const {
  std::string out;
  for (const auto& [name, n] : by_name_)
    out += (out.empty() ? "" : " ") + name + "=" + std::to_string(n);
  return out;
}

std::string RefusedCalls::text() const {
  std::string out;
  for (const auto& [name, n] : by_name_)
    out += (out.empty() ? "" : ", ") + name + " (" + std::to_string(n) +
           (n == 1 ? " call)" : " calls)");
  return out;
}

std::optional<RefusedCalls> RefusedCalls::parse(const std::string& meta) {
  RefusedCalls r;
  std::istringstream in(meta);
  std::string item;
  while (in >> item) {
    auto eq = item.find('=');
    if (eq == std::string::npos) return std::nullopt;
    std::string name = item.substr(0, eq);
    uint64_t n = 0;
    const char* end = item.data() + item.size();
    auto [p, ec] = std::from_chars(item.data() + eq + 1, end, n);
    if (ec != std::errc() || p != end || n == 0 || r.by_name_.count(name) ||
        !reported(syscall_spec_by_name(name)))
      return std::nullopt;
    r.by_name_[name] = n;
  }
  if (r.empty()) return std::nullopt;
  return r;
}

}  // namespace rp
