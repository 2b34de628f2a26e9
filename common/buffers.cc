#include "buffers.h"

#include <algorithm>

namespace rp {
namespace {

constexpr uint64_t kMaxIov = 1024;  // UIO_MAXIOV
constexpr uint64_t kMaxSockaddr = 128;

bool is_error(int64_t ret) { return ret < 0 && ret > -4096; }

void add(std::vector<Region>& out, uint64_t addr, uint64_t len) {
  if (addr != 0 && len != 0) out.push_back({addr, len});
}

// iovec array at iov_addr with n entries, covering at most `limit` bytes.
void add_iov(std::vector<Region>& out, uint64_t iov_addr, uint64_t n, uint64_t limit,
             const WordReader& rd) {
  n = std::min(n, kMaxIov);
  for (uint64_t i = 0; i < n && limit > 0; i++) {
    auto base = rd(iov_addr + i * 16, 8);
    auto len = rd(iov_addr + i * 16 + 8, 8);
    if (!base || !len) return;
    uint64_t take = std::min(*len, limit);
    add(out, *base, take);
    limit -= take;
  }
}

// recvmsg-style msghdr at m after the call; name_cap/ctl_cap are the
// buffer sizes given at entry.
void add_msghdr_out(std::vector<Region>& out, uint64_t m, uint64_t data_len, uint32_t name_cap,
                    uint32_t ctl_cap, const WordReader& rd) {
  add(out, m, RP_SIZEOF_MSGHDR);  // namelen, controllen and flags are updated
  auto name = rd(m + 0, 8), namelen = rd(m + 8, 4);
  if (name && namelen) add(out, *name, std::min<uint64_t>(*namelen, name_cap));
  auto iov = rd(m + 16, 8), iovlen = rd(m + 24, 8);
  if (iov && iovlen) add_iov(out, *iov, *iovlen, data_len, rd);
  auto ctl = rd(m + 32, 8), ctllen = rd(m + 40, 8);
  if (ctl && ctllen) add(out, *ctl, std::min<uint64_t>(*ctllen, ctl_cap));
}

}  // namespace

uint64_t ioctl_output_size(uint64_t req, bool* known) {
  *known = true;
  switch (req & 0xffffffff) {
    case 0x5401: return 36;  // TCGETS: struct termios (kernel layout)
    case 0x5405: return 18;  // TCGETA: struct termio
    case 0x540F: return 4;   // TIOCGPGRP
    case 0x5411: return 4;   // TIOCOUTQ
    case 0x5413: return 8;   // TIOCGWINSZ
    case 0x5415: return 4;   // TIOCMGET
    case 0x541B: return 4;   // FIONREAD
    case 0x5429: return 4;   // TIOCGSID
    case 0x802C542A: return 44;  // TCGETS2
  }
  uint64_t dir = (req >> 30) & 3, size = (req >> 16) & 0x3fff;
  if (dir & 2) return size;  // _IOC_READ: the kernel writes size bytes
  // Requests without _IOC encoding that rp does not know: they may write
  // memory rp cannot see, so callers count them.
  *known = dir != 0;
  return 0;
}

EntryLens entry_lens(const SyscallSpec& s, const uint64_t args[6], const WordReader& rd) {
  EntryLens l;
  for (const auto& o : s.out) {
    if (!o.present()) continue;
    if (o.kind == RP_SZ_LENPTR && args[o.p1]) {
      if (auto v = rd(args[o.p1], 4)) l.len[0] = static_cast<uint32_t>(*v);
    } else if (o.kind == RP_SZ_MSGHDR && args[o.arg]) {
      if (auto v = rd(args[o.arg] + 8, 4)) l.len[0] = static_cast<uint32_t>(*v);
      if (auto v = rd(args[o.arg] + 40, 8)) l.len[1] = static_cast<uint32_t>(*v);
    }
  }
  return l;
}

std::vector<Region> output_regions(const SyscallSpec& s, const uint64_t args[6], int64_t ret,
                                   const EntryLens& lens, const WordReader& rd) {
  std::vector<Region> out;
  const bool failed = is_error(ret);
  const uint64_t uret = failed || ret < 0 ? 0 : static_cast<uint64_t>(ret);
  for (const auto& o : s.out) {
    if (!o.present()) continue;
    uint64_t p = args[o.arg];
    if (p == 0) continue;
    switch (o.kind) {
      case RP_SZ_FIXED:
        // Recorded even when the call failed (e.g. nanosleep's remaining time
        // on EINTR); an unreadable pointer simply yields no bytes.
        add(out, p, static_cast<uint64_t>(o.p1));
        break;
      case RP_SZ_RET: add(out, p, uret * static_cast<uint64_t>(o.p1)); break;
      case RP_SZ_ARG:
        if (!failed) add(out, p, args[o.p1]);
        break;
      case RP_SZ_ARGMUL:
        if (!failed) add(out, p, args[o.p1] * static_cast<uint64_t>(o.p2));
        break;
      case RP_SZ_LENPTR:
        if (!failed && args[o.p1]) {
          auto after = rd(args[o.p1], 4);
          if (after) add(out, p, std::min<uint64_t>({*after, lens.len[0], kMaxSockaddr * 32}));
        }
        break;
      case RP_SZ_IOV:
        if (!failed) add_iov(out, p, args[o.p1], uret, rd);
        break;
      case RP_SZ_MSGHDR:
        if (!failed) add_msghdr_out(out, p, uret, lens.len[0], lens.len[1], rd);
        break;
      case RP_SZ_MMSGHDR:
        for (uint64_t i = 0; i < uret && i < kMaxIov; i++) {
          uint64_t m = p + i * RP_SIZEOF_MMSGHDR;
          auto got = rd(m + 56, 4);
          add(out, m, RP_SIZEOF_MMSGHDR);
          if (got) add_msghdr_out(out, m, *got, kMaxSockaddr, 1 << 20, rd);
        }
        break;
      case RP_SZ_MMSGLEN:
        for (uint64_t i = 0; i < uret && i < kMaxIov; i++)
          add(out, p + i * RP_SIZEOF_MMSGHDR + 56, 4);
        break;
      case RP_SZ_IOCTL: {
        bool known;
        uint64_t n = ioctl_output_size(args[1], &known);
        if (!failed) add(out, p, n);
        break;
      }
      case RP_SZ_FCNTL:
        if (!failed && (args[1] == 5 /* F_GETLK */ || args[1] == 36 /* F_OFD_GETLK */))
          add(out, p, RP_SIZEOF_FLOCK);
        break;
      case RP_SZ_FDSET:
        if (!failed) add(out, p, (std::min<uint64_t>(args[0], 1 << 20) + 63) / 64 * 8);
        break;
      case RP_SZ_PAGES:
        if (!failed) add(out, p, (args[o.p1] + 4095) / 4096);
        break;
      case RP_SZ_BITS:
        if (!failed) add(out, p, (std::min<uint64_t>(args[o.p1], 1 << 16) + 63) / 64 * 8);
        break;
      case RP_SZ_HANDLE:
        if (auto hb = rd(p, 4)) add(out, p, 8 + std::min<uint64_t>(*hb, 128));
        break;
      case RP_SZ_NONE: break;
    }
  }
  return out;
}

std::vector<Region> input_regions(const SyscallSpec& s, const uint64_t args[6],
                                  const WordReader& rd) {
  std::vector<Region> out;
  const auto& i = s.input;
  if (!i.present() || args[i.arg] == 0) return out;
  uint64_t p = args[i.arg];
  switch (i.kind) {
    case RP_SZ_ARG: add(out, p, args[i.p1]); break;
    case RP_SZ_IOV: add_iov(out, p, args[i.p1], UINT64_MAX, rd); break;
    case RP_SZ_MSGHDR: {
      auto iov = rd(p + 16, 8), iovlen = rd(p + 24, 8);
      if (iov && iovlen) add_iov(out, *iov, *iovlen, UINT64_MAX, rd);
      break;
    }
    default: break;
  }
  return out;
}

}  // namespace rp
