// Minimal JSON text output (the dump --json and timeline writers only emit).
#pragma once
#include <cstdio>
#include <string>

namespace rp::json {

// s as a JSON string literal; bytes that are not valid UTF-8 text become \u00XX
// of the byte (data from a trace is arbitrary).
inline std::string str(const std::string& s) {
  std::string out = "\"";
  char b[8];
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace rp::json
