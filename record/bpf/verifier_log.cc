#include "verifier_log.h"

#include <string_view>
#include <vector>

namespace rp {

namespace {

constexpr std::string_view kBegin = "-- BEGIN PROG LOAD LOG --";
constexpr std::string_view kEnd = "-- END PROG LOAD LOG --";

// The verifier's closing statistics, not its reason.
bool is_statistics(std::string_view line) {
  for (std::string_view s : {"processed ", "verification time ", "stack depth "})
    if (line.substr(0, s.size()) == s) return true;
  return false;
}

// libbpf writes "libbpf: prog 'NAME': -- BEGIN PROG LOAD LOG --".
std::string program_name(const std::string& messages, size_t begin) {
  size_t line = messages.rfind('\n', begin);
  line = line == std::string::npos ? 0 : line + 1;
  size_t open = messages.find("prog '", line);
  if (open == std::string::npos || open > begin) return "";
  open += 6;
  size_t close = messages.find('\'', open);
  return close == std::string::npos || close > begin ? "" : messages.substr(open, close - open);
}

}  // namespace

std::string verifier_reason(const std::string& messages, int max_lines) {
  size_t begin = messages.rfind(kBegin);
  if (begin == std::string::npos) return "";
  size_t from = begin + kBegin.size();
  size_t end = messages.find(kEnd, from);
  // No end marker (the message was cut short): what there is.
  std::string_view log(messages.data() + from, (end == std::string::npos ? messages.size() : end) - from);
  std::vector<std::string_view> lines;
  while (!log.empty()) {
    size_t nl = log.find('\n');
    std::string_view line = log.substr(0, nl);
    log = nl == std::string_view::npos ? std::string_view() : log.substr(nl + 1);
    if (!line.empty() && !is_statistics(line)) lines.push_back(line);
  }
  if (lines.empty()) return "";
  std::string out = program_name(messages, begin);
  out += out.empty() ? "the verifier said:" : ": the verifier said:";
  size_t first = lines.size() > static_cast<size_t>(max_lines) ? lines.size() - max_lines : 0;
  for (size_t i = first; i < lines.size(); i++) out.append("\n  ").append(lines[i]);
  return out;
}

}  // namespace rp
