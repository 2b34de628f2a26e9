#include "agent_code.h"

#include <sys/uio.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "agent_abi.h"

#if defined(__x86_64__)
extern "C" const char rp_agent_blob_begin[], rp_agent_blob_end[];
#endif

namespace rp {
namespace {

void put64(std::string& s, uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }

// The stub's code before the relocated instructions: see agent_blob.S for
// the agent's side of the convention. It runs the agent on the agent's own
// stack (RP_AGENT_STACK_TOP), the program's stack pointer kept on top of it:
// nothing under the program's stack pointer changes, as in the recording.
//   movabs $stack_top,%r11; mov %rsp,-8(%r11); lea -8(%r11),%rsp
//   pushfq                    the agent's compares change the flags
//   movabs $agent,%r11; call *%r11
//   jrcxz real                (flags untouched)
//   popfq; pop %rsp; movabs $site+2,%rcx; jmp tail
// real:
//   popfq; pop %rsp; syscall; movabs $site+2,%rcx
// tail:
constexpr size_t kHeadBytes = (10 + 4 + 4) + 1 + 10 + 3 + 2 + (1 + 1 + 10 + 2) + (1 + 1 + 2 + 10);
constexpr size_t kSyscallOffset = kHeadBytes - 12;

std::string stub_head(uint64_t agent, uint64_t back) {
  std::string h;
  const std::string movabs_r11("\x49\xbb", 2), movabs_rcx("\x48\xb9", 2);
  h += movabs_r11;
  put64(h, agent + RP_AGENT_STACK_TOP);
  h += std::string("\x49\x89\x63\xf8", 4);  // mov %rsp,-8(%r11)
  h += std::string("\x49\x8d\x63\xf8", 4);  // lea -8(%r11),%rsp
  h += '\x9c';
  h += movabs_r11;
  put64(h, agent);
  h += std::string("\x41\xff\xd3", 3);
  h += std::string("\xe3\x0e", 2);  // jrcxz +14: over the answered path
  h += std::string("\x9d\x5c", 2) + movabs_rcx;  // popfq; pop %rsp
  put64(h, back);
  h += std::string("\xeb\x0e", 2);  // jmp +14: over the real syscall
  h += std::string("\x9d\x5c\x0f\x05", 4) + movabs_rcx;
  put64(h, back);
  return h;
}

}  // namespace

#if defined(__x86_64__)
std::string agent_blob() {
  return std::string(rp_agent_blob_begin, static_cast<size_t>(rp_agent_blob_end - rp_agent_blob_begin));
}
#else
std::string agent_blob() { return {}; }
#endif

uint64_t agent_stub_bytes(const PatchSite& site) {
  uint64_t n = kHeadBytes + 5;  // + the jump back
  for (size_t i = 1; i < site.insns.size(); i++) n += relocated_size(site.insns[i]);
  return n;
}

std::optional<AgentStub> build_agent_stub(const PatchSite& site, uint64_t entry, uint64_t agent,
                                          std::string* why, uint8_t filler) {
  if (site.insns.empty() || site.insns[0].kind != PatchSite::Insn::kSyscall) {
    *why = "not a syscall site";
    return std::nullopt;
  }
  AgentStub s;
  s.code = stub_head(agent, site.ip + site.insns[0].bytes.size());
  std::vector<uint64_t> copies;
  auto tail = relocate_tail(site, 1, entry + kHeadBytes, entry, &copies, why);
  if (!tail) return std::nullopt;
  s.code += *tail;
  s.syscall_ip = entry + kSyscallOffset;
  auto reach = jump_entries(site, filler);
  if (!reach || entry < reach->first || entry > reach->second) {
    *why = "the stub is out of the jump's reach";
    return std::nullopt;
  }
  int64_t rel = static_cast<int64_t>(entry - (site.ip + 5));
  s.filler = filler;
  s.site_bytes.assign(site.length, static_cast<char>(filler));
  s.site_bytes[0] = '\xe9';
  int32_t rel32 = static_cast<int32_t>(rel);
  std::memcpy(&s.site_bytes[1], &rel32, 4);
  for (size_t i = 1; i < site.insns.size(); i++)
    s.interior.push_back({site.ip + site.insns[i].offset, copies[i]});
  return s;
}

std::optional<std::pair<uint64_t, uint8_t>> place_agent_stub(
    const PatchSite& site, uint64_t len, const std::map<uint64_t, uint64_t>& slots,
    uint64_t min_addr, uint64_t top, const std::function<bool(uint64_t page)>& usable) {
  constexpr uint64_t kPage = 4096;
  for (uint8_t filler : kPatchFillers) {
    auto reach = jump_entries(site, filler);
    if (!reach) continue;
    uint64_t at = std::max(reach->first, min_addr);
    for (bool moved = true; moved && at <= reach->second;) {
      moved = false;
      for (auto [start, end] : slots)
        if (at < end && start < at + len) at = end, moved = true;
    }
    if (at > reach->second || at > top || top - at < len) continue;
    bool ok = true;
    for (uint64_t pg = at & ~(kPage - 1); ok && pg < at + len; pg += kPage) ok = usable(pg);
    if (ok) return std::pair{at, filler};
    if (site.fixed_from >= 4) break;  // no fixed byte: the filler changes nothing
  }
  return std::nullopt;
}

// Outputs this large are referred to, smaller ones copied with the fields:
// a piece costs an iovec, and small outputs (stat buffers, a few bytes) are most.
constexpr size_t kReferBytes = 1024;

void AgentWindow::meta(const char* p, size_t n) {
  if (!n) return;
  if (pieces_.empty() || pieces_.back().data) pieces_.push_back({nullptr, meta_.size(), 0});
  meta_.append(p, n);
  pieces_.back().len += n;
  size_ += n;
}

void AgentWindow::put(uint64_t v) { meta(reinterpret_cast<const char*>(&v), 8); }

void AgentWindow::clear() {
  meta_.clear();
  pieces_.clear();
  size_ = count_ = 0;
  put(0);  // count, set as entries are added
  put(0);
  put(RP_AGENT_H_BYTES);
  put(RP_AGENT_H_BYTES);  // where the send area starts: after the entries
  while (size_ < RP_AGENT_H_BYTES) put(0);
}

bool AgentWindow::add(const Event& e, unsigned arg_mask, const AgentSend& send) {
  uint64_t size = RP_AGENT_E_RECORDS, nout = 0, nin = 0;
  for (const auto& m : e.mem) {
    size += 16 + (m.bytes.size() + 7) / 8 * 8;
    (m.input ? nin : nout)++;
  }
  if (size_ + size > RP_AGENT_WINDOW_BYTES) return false;
  put(static_cast<uint64_t>(e.nr));
  for (uint64_t a : e.args) put(a);
  put(arg_mask);
  put(static_cast<uint64_t>(e.ret));
  put(nout);
  put(size);
  put(nin);
  put(send.kind);
  put(send.ptr);
  put(send.n);
  for (bool input : {true, false})
    for (const auto& m : e.mem)
      if (m.input == input) record(m.addr, m.bytes);
  count_++;
  const uint64_t c = count_, sent = size_;
  std::memcpy(&meta_[RP_AGENT_H_COUNT], &c, 8);
  std::memcpy(&meta_[RP_AGENT_H_SENT], &sent, 8);
  return true;
}

std::optional<std::vector<std::string>> parse_sent(std::string_view area, size_t expected) {
  std::vector<std::string> out;
  while (out.size() < expected) {
    uint64_t len;
    if (area.size() < 8) return std::nullopt;
    std::memcpy(&len, area.data(), 8);
    area.remove_prefix(8);
    if (len > area.size()) return std::nullopt;
    out.emplace_back(area.substr(0, len));
    area.remove_prefix(std::min<size_t>(area.size(), (len + 7) / 8 * 8));
  }
  if (!area.empty()) return std::nullopt;
  return out;
}

void AgentWindow::record(uint64_t addr, const std::string& bytes) {
  put(addr);
  put(bytes.size());
  const size_t n = bytes.size();
  if (n >= kReferBytes) {
    pieces_.push_back({bytes.data(), 0, n});
    size_ += n;
  } else {
    meta(bytes.data(), n);
  }
  static const char kZeros[8] = {};
  meta(kZeros, (8 - n % 8) % 8);
}

std::vector<std::pair<const char*, size_t>> AgentWindow::pieces() const {
  std::vector<std::pair<const char*, size_t>> out;
  out.reserve(pieces_.size());
  for (const Piece& p : pieces_) out.push_back({p.data ? p.data : meta_.data() + p.off, p.len});
  return out;
}

std::string AgentWindow::bytes() const {
  std::string out;
  out.reserve(size_);
  for (auto [p, n] : pieces()) out.append(p, n);
  return out;
}

bool AgentWindow::write_to(Tracee& mem, uint64_t at) const {
  const auto all = pieces();
  std::vector<iovec> local;
  size_t done = 0;
  for (size_t i = 0; i < all.size();) {  // at most IOV_MAX pieces a call
    local.clear();
    size_t len = 0;
    for (; i < all.size() && local.size() < IOV_MAX; i++) {
      local.push_back({const_cast<char*>(all[i].first), all[i].second});
      len += all[i].second;
    }
    iovec remote{reinterpret_cast<void*>(at + done), len};
    if (process_vm_writev(mem.tid(), local.data(), local.size(), &remote, 1, 0) !=
        static_cast<ssize_t>(len))
      return mem.write(at, bytes());
    done += len;
  }
  return true;
}

std::string AgentWindow::empty() { return AgentWindow().bytes(); }

}  // namespace rp
