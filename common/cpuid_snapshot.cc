#include "cpuid_snapshot.h"

#include <cstdio>
#include <map>
#include <sstream>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace rp {

std::string cpuid_snapshot() {
  std::string out;
#if defined(__x86_64__)
  auto leaf = [&](unsigned l, unsigned s) {
    unsigned a, b, c, d;
    __cpuid_count(l, s, a, b, c, d);
    if (l == 1) b &= 0x00ffffff;  // initial APIC id: which core ran this
    if (l == 0xb || l == 0x1f) d = 0;  // x2APIC id
    char buf[96];
    snprintf(buf, sizeof buf, "%x.%x=%x,%x,%x,%x;", l, s, a, b, c, d);
    out += buf;
  };
  unsigned max = __get_cpuid_max(0, nullptr);
  for (unsigned l = 0; l <= max && l < 0x20; l++) {
    if (l == 4 || l == 0xb || l == 0x1f) continue;  // cache/topology: per core
    leaf(l, 0);
    if (l == 7 || l == 0xd) leaf(l, 1);
  }
  unsigned ext = __get_cpuid_max(0x80000000, nullptr);
  for (unsigned l = 0x80000000; l <= ext && l < 0x80000020; l++)
    if (l != 0x8000001e) leaf(l, 0);  // AMD's extended APIC and core ids: per core
#endif
  return out;
}

std::string cpuid_first_difference(const std::string& a, const std::string& b) {
  auto parse = [](const std::string& s) {
    std::map<std::string, std::string> m;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ';');) {
      size_t eq = item.find('=');
      if (eq != std::string::npos) m[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return m;
  };
  auto ma = parse(a), mb = parse(b);
  for (const auto& [k, v] : ma) {
    auto it = mb.find(k);
    if (it == mb.end() || it->second != v) return "leaf " + k;
  }
  for (const auto& [k, v] : mb)
    if (!ma.count(k)) return "leaf " + k;
  return "";
}

}  // namespace rp
