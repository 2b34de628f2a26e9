// Content hashing (xxHash) and compression (zstd) for trace blobs.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace rp {

std::string hash128(std::string_view bytes);  // 16 raw bytes, the blob's address
uint64_t hash64(std::string_view bytes);       // checks data a program sends
std::string zstd_compress(std::string_view bytes);
// Throws rp::Error when the data is damaged or its size is not `size`.
std::string zstd_decompress(std::string_view packed, uint64_t size);

}  // namespace rp
