// Shared by the decoders in common/decode/: one syscall event being printed.
#pragma once
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "buffers.h"
#include "decode/args.h"
#include "decode/decode.h"
#include "render.h"

namespace rp::decode {

struct Ctx {
  const Event& e;
  const Options& o;
  std::vector<bool>& shown;
  std::string ret_suffix = {};  // after the result, as strace shows poll's revents

  uint64_t arg(int i) const { return e.args[i]; }
  bool failed() const { return syscall_failed(e.ret); }
  // Bytes the kernel wrote at addr (at least min bytes), marked as shown.
  const std::string* out(uint64_t addr, size_t min = 1);
  // Bytes the syscall read at addr (recorded strings).
  const std::string* in(uint64_t addr) const;
};

// Copies a T out of recorded bytes at offset (the caller checked the size).
template <typename T>
T load(const std::string& b, size_t off = 0) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

using rp::hex;  // render.h
std::string ptr(uint64_t v);  // "NULL" or hex
std::string mode_text(uint64_t mode);  // "0644"
// Decoders for arguments pointing to memory the kernel wrote (memory.cc);
// nullopt if the kind is not one of them.
std::optional<std::string> decode_memory(ArgKind k, Ctx& c, int i);

}  // namespace rp::decode
