#include "hex.h"

namespace rp {

std::string to_hex(std::string_view bytes, char sep) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * (sep ? 3 : 2));
  for (size_t i = 0; i < bytes.size(); i++) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (sep && i) out += sep;
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) break;
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace rp
