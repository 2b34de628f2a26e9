// Strings and raw bytes as strace prints them.
#include <cinttypes>
#include <cstdio>

#include "decode/decode.h"
#include "decode/internal.h"

namespace rp::decode {


std::string ptr(uint64_t v) { return v ? hex(v) : "NULL"; }

std::string mode_text(uint64_t mode) {
  char b[32];
  snprintf(b, sizeof b, "%#03" PRIo64, mode);
  return b;
}

std::string quote(const std::string& s, size_t limit, bool as_hex) {
  std::string out = "\"";
  const size_t n = std::min(s.size(), limit);
  char b[8];
  for (size_t i = 0; i < n; i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (as_hex) {
      snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\t': out += "\\t"; continue;
      case '\n': out += "\\n"; continue;
      case '\v': out += "\\v"; continue;
      case '\f': out += "\\f"; continue;
      case '\r': out += "\\r"; continue;
    }
    if (c >= 32 && c < 127) {
      out += static_cast<char>(c);
      continue;
    }
    // Shortest octal escape, unless a digit follows (it would join the escape).
    bool digit_next = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';
    snprintf(b, sizeof b, digit_next ? "\\%03o" : "\\%o", c);
    out += b;
  }
  out += "\"";
  if (s.size() > limit) out += "...";
  return out;
}

std::string hexdump(const std::string& bytes) {
  std::string out;
  char b[32];
  for (size_t off = 0; off < bytes.size(); off += 16) {
    snprintf(b, sizeof b, " | %05zx ", off);
    out += b;
    std::string ascii;
    for (size_t i = off; i < off + 16; i++) {
      if (i < bytes.size()) {
        unsigned char c = static_cast<unsigned char>(bytes[i]);
        snprintf(b, sizeof b, "%02x ", c);
        out += b;
        ascii += c >= 32 && c < 127 ? static_cast<char>(c) : '.';
      } else {
        out += "   ";
      }
      if (i % 16 == 7) out += ' ';
    }
    ascii.resize(16, ' ');
    out += " " + ascii + " |\n";
  }
  return out;
}

}  // namespace rp::decode
