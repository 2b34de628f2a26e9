// Code generation for the in-process replay agent (x86_64): the agent blob
// copied into the program, the per-site stubs that send a patched `syscall`
// to it, and the window of recorded answers (agent_abi.h). Nothing here
// touches a process but AgentWindow::write_to (replay/agent/agent_replay.cc
// does the rest).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent_abi.h"
#include "point_patch.h"
#include "trace.h"
#include "tracee.h"

namespace rp {

// The agent's code (empty where there is none: not x86_64).
std::string agent_blob();

// A syscall site patched to jump to its stub. The stub calls the agent;
// answered, it sets rcx as the syscall would and runs the relocated
// instructions that followed the syscall; otherwise it runs the real
// syscall at `syscall_ip` (then sets rcx likewise) and the same copies.
struct AgentStub {
  std::string site_bytes;  // written at site.ip: jmp rel32, filler
  std::string code;        // written at the stub's entry
  uint64_t syscall_ip = 0; // the stub's own `syscall`
  uint8_t filler = 0xcc;   // 0xcc traps (SIGTRAP after it), the others fault (SIGILL at it)
  // Instruction starts inside the patched bytes (the filler there) and their copies.
  std::vector<std::pair<uint64_t, uint64_t>> interior;
};
// Bytes a stub for `site` takes (its length does not depend on where it goes).
uint64_t agent_stub_bytes(const PatchSite& site);
// `site` from plan_patch_site(..., syscall_first = true); `entry` must be
// within jump_entries(site, filler) (point_patch.h); `agent` is the blob's
// address.
std::optional<AgentStub> build_agent_stub(const PatchSite& site, uint64_t entry, uint64_t agent,
                                          std::string* why, uint8_t filler = 0xcc);

// Where a stub of `len` bytes for `site` goes, and the filler that lets the
// site's jump reach it: the fillers in kPatchFillers' order (int3 first;
// forward-reaching invalid opcodes let a site in the low 2 GiB, a static or
// non-PIE program's, jump up), at each the first address in reach from which
// the stub lies within [min_addr, top) (top: the end of user space; a site
// near it reaches past it), clear of the `slots` already taken
// ([start, end)), whose pages `usable` accepts. nullopt: none.
std::optional<std::pair<uint64_t, uint8_t>> place_agent_stub(
    const PatchSite& site, uint64_t len, const std::map<uint64_t, uint64_t>& slots,
    uint64_t min_addr, uint64_t top, const std::function<bool(uint64_t page)>& usable);

// What an entry sends, which the agent copies out for the replayer (agent_abi.h).
struct AgentSend {
  uint64_t kind = RP_AGENT_SEND_NONE;  // or RP_AGENT_SEND_BUFFER, RP_AGENT_SEND_IOV
  uint64_t ptr = 0, n = 0;             // the buffer and its length, or the iovecs and their count
};

// The copies the agent made of what answered calls sent, from the send area
// ({len, bytes padded to 8} each): `expected` of them, or nullopt if the
// area does not hold exactly that many.
std::optional<std::vector<std::string>> parse_sent(std::string_view area, size_t expected);

// The window's bytes: a header and the entries added, in order. Large
// outputs are not copied here: the window refers to the event's own bytes
// (pieces()), so they are copied once, by the write into the program, which
// is most of a large read's replay. Kept and reused (clear()).
class AgentWindow {
 public:
  AgentWindow() { clear(); }
  void clear();
  // False (nothing added) when the entry does not fit. e's memory records
  // (its input strings, then its outputs) must stay where they are until
  // the window is written or cleared.
  bool add(const Event& e, unsigned arg_mask, const AgentSend& send = {});
  size_t count() const { return count_; }
  size_t size() const { return size_; }
  // The window in order, as pieces to gather (valid until the next add or clear).
  std::vector<std::pair<const char*, size_t>> pieces() const;
  std::string bytes() const;  // the pieces joined: header + entries
  // Writes the window at `at` in mem's process: gathered from the pieces by
  // process_vm_writev, or joined and written by mem.write if that fails.
  bool write_to(Tracee& mem, uint64_t at) const;
  static std::string empty();  // a header with nothing to answer

 private:
  void meta(const char* p, size_t n);  // appended to meta_, as its piece
  void put(uint64_t v);
  void record(uint64_t addr, const std::string& bytes);  // {addr, len, bytes padded to 8}
  std::string meta_;  // the header, the entries' fields, small outputs, padding
  // In order: (nullptr, offset into meta_) or (an event's bytes, 0), and a length.
  struct Piece {
    const char* data;
    size_t off, len;
  };
  std::vector<Piece> pieces_;
  size_t size_ = 0, count_ = 0;
};

}  // namespace rp
