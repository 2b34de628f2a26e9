// Bytes as lowercase hex digits and back: trace hashes, rp dump's buffer
// bytes and the GDB remote protocol all use this one encoding.
#pragma once
#include <string>
#include <string_view>

namespace rp {

// Two digits per byte; with sep, one sep between bytes ("de ad").
std::string to_hex(std::string_view bytes, char sep = '\0');
// The bytes of pairs of hex digits; stops at the first pair that is not one.
std::string from_hex(std::string_view hex);
// 0-15 for a hex digit (either case), -1 otherwise.
int hex_digit(char c);

}  // namespace rp
