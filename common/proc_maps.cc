#include "proc_maps.h"

#include <sys/mman.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace rp {
namespace {

// Reads a number in `base` at the front of s and drops it; false if there is none.
template <typename T>
bool take_number(std::string_view& s, T* out, int base) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  if (ec != std::errc() || end == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return true;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
}

bool valid_perms(std::string_view p) {
  return p.size() == 4 && (p[0] == 'r' || p[0] == '-') && (p[1] == 'w' || p[1] == '-') &&
         (p[2] == 'x' || p[2] == '-') && (p[3] == 'p' || p[3] == 's');
}

}  // namespace

int ProcMap::prot() const {
  return (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
         (perms[2] == 'x' ? PROT_EXEC : 0);
}

std::optional<ProcMap> parse_maps_line(std::string_view s) {
  ProcMap m;
  if (!take_number(s, &m.start, 16) || !take_char(s, '-') || !take_number(s, &m.end, 16) ||
      m.end < m.start || !take_char(s, ' '))
    return std::nullopt;
  m.perms = std::string(s.substr(0, 4));
  if (!valid_perms(m.perms)) return std::nullopt;
  s.remove_prefix(4);
  if (!take_char(s, ' ') || !take_number(s, &m.offset, 16) || !take_char(s, ' ') ||
      !take_number(s, &m.dev_major, 16) || !take_char(s, ':') ||
      !take_number(s, &m.dev_minor, 16) || !take_char(s, ' ') || !take_number(s, &m.inode, 10))
    return std::nullopt;
  // The inode ends the line, or spaces pad it to the path's column (one
  // trailing space alone on an anonymous mapping's line).
  if (!s.empty() && s[0] != ' ') return std::nullopt;
  size_t path_at = s.find_first_not_of(' ');
  if (path_at != std::string_view::npos) m.path = std::string(s.substr(path_at));
  return m;
}

std::vector<ProcMap> parse_maps(std::string_view text, std::optional<std::string>* bad_line) {
  std::vector<ProcMap> out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (auto m = parse_maps_line(line))
      out.push_back(std::move(*m));
    else if (bad_line && !*bad_line)
      *bad_line = std::string(line);
  }
  return out;
}

std::string read_maps_text(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/maps", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<ProcMap> read_proc_maps(pid_t pid, std::optional<std::string>* bad_line) {
  return parse_maps(read_maps_text(pid), bad_line);
}

}  // namespace rp
