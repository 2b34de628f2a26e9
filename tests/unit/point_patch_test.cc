// The conditional trap of replay/point_patch.h: which sites it accepts, how
// the jump is constrained, and (in this process) that the patched code runs
// its loop exactly as before while the trampoline counts the passes.
#include "point_patch.h"
#include "proc_maps.h"
#include "rp_digest_rules.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace rp {
namespace {

#if defined(__x86_64__)

std::string bytes(std::initializer_list<uint8_t> b) { return std::string(b.begin(), b.end()) + std::string(32, '\x90'); }

TEST(PointPatch, RefusesWhatCannotRunElsewhere) {
  std::string why;
  EXPECT_FALSE(plan_patch_site(bytes({0xff, 0x54, 0x24, 0x08}), 0x401000, &why));  // call *8(%rsp)
  EXPECT_NE(why.find("call"), std::string::npos) << why;
  EXPECT_FALSE(plan_patch_site(bytes({0xff, 0xd4}), 0x401000, &why));  // call *%rsp
  EXPECT_FALSE(plan_patch_site(bytes({0xff, 0x18, 0x90, 0x90, 0x90}), 0x401000, &why));  // lcall *(%rax)
  // call *%rdx, then 3 more bytes: the callee would return into the jump.
  EXPECT_FALSE(plan_patch_site(bytes({0xff, 0xd2, 0x48, 0x01, 0xc0}), 0x401000, &why));
  EXPECT_FALSE(plan_patch_site(bytes({0x0f, 0x05}), 0x401000, &why));        // syscall
  EXPECT_FALSE(plan_patch_site(bytes({0xe1, 0xfe}), 0x401000, &why));        // loope rel8
  EXPECT_FALSE(plan_patch_site(bytes({0x67, 0xe2, 0xfd}), 0x401000, &why));  // loop on ecx
  EXPECT_FALSE(plan_patch_site(bytes({0xcc}), 0x401000, &why));              // int3 (a debugger's)
}

TEST(PointPatch, DecodesTheAvx512FormsCapstoneRefuses) {
  // glibc's memcmp-evex: vpcmpnequb (%rdi),%ymm18,%k1{%k2}; kmovd %k1,%eax
  // (Capstone 4 decodes neither; Zydis does).
  std::string why;
  auto s = plan_patch_site(bytes({0x62, 0xf3, 0x6d, 0x22, 0x3e, 0x0f, 0x04, 0xc5, 0xfb, 0x93, 0xc1}),
                           0x7ffff7f3695a, &why);
  ASSERT_TRUE(s) << why;
  ASSERT_EQ(s->insns.size(), 1u);  // 7 bytes: the jump fits in the first
  EXPECT_EQ(s->length, 7u);
  EXPECT_EQ(s->insns[0].kind, PatchSite::Insn::kPlain);
  // vpcmpeqb 0x1000(%rip),%ymm17,%k1{%k2}: its disp32 is relocated.
  auto rip = plan_patch_site(bytes({0x62, 0xf3, 0x75, 0x22, 0x3f, 0x0d, 0, 0x10, 0, 0, 0}),
                             0x401000, &why);
  ASSERT_TRUE(rip) << why;
  EXPECT_EQ(rip->insns[0].kind, PatchSite::Insn::kRipRelative);
  EXPECT_EQ(rip->insns[0].disp_offset, 6u);
  EXPECT_EQ(rip->insns[0].bytes.size(), 11u);
  // kmovd first (4 bytes), then the compare: both decoded, two instructions.
  auto two = plan_patch_site(bytes({0xc5, 0xfb, 0x93, 0xc1, 0x62, 0xf3, 0x6d, 0x22, 0x3e, 0x0f, 0x04}),
                             0x401000, &why);
  ASSERT_TRUE(two) << why;
  EXPECT_EQ(two->insns.size(), 2u);
  EXPECT_EQ(two->length, 11u);
}

TEST(PointPatch, InstructionStartsInsideTheJumpLandOnInt3) {
  std::string why;
  // add $1,%rax (4 bytes), then nop: byte 4 of the jump is an instruction start.
  auto s = plan_patch_site(bytes({0x48, 0x83, 0xc0, 0x01}), 0x401000, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->length, 5u);
  EXPECT_EQ(s->rel_lo, static_cast<int32_t>(0xcc000000u));
  EXPECT_EQ(s->rel_hi, static_cast<int32_t>(0xccffffffu));
  // A 6-byte first instruction: no constraint.
  auto wide = plan_patch_site(bytes({0x8b, 0x05, 0, 0x10, 0, 0}), 0x401000, &why);
  ASSERT_TRUE(wide) << why;
  EXPECT_EQ(wide->insns[0].kind, PatchSite::Insn::kRipRelative);
  EXPECT_LT(wide->rel_lo, -(int64_t{1} << 30));
  EXPECT_GT(wide->rel_hi, int64_t{1} << 30);
}

TEST(PointPatch, PlacesTheTrampolineInAFreeGapWithinReach) {
  std::string why;
  auto s = plan_patch_site(bytes({0x48, 0x39, 0xf8, 0x75, 0xf7}), 0x555555555193, &why);
  ASSERT_TRUE(s) << why;
  uint64_t lo = s->ip + 5 + s->rel_lo;
  // Nothing free in reach: no place.
  EXPECT_FALSE(place_trampoline(*s, {{0x10000, lo - (4 << 20)}}));
  auto p = place_trampoline(*s, {{0x10000, 0x555555554000}});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->map % 4096, 0u);
  int64_t rel = static_cast<int64_t>(p->entry - (s->ip + 5));
  EXPECT_GE(rel, s->rel_lo);
  EXPECT_LE(rel, s->rel_hi);
  EXPECT_GE(p->entry, p->map);
  EXPECT_LT(p->entry, p->map + 4096);
}

TEST(PointPatch, PlacesTheTrampolineForASiteInTheLowTwoGigabytes) {
  // python3 (non-PIE) at 0x52b569: lea 0x8(%r13,%rbp,8),%r13 (5 bytes).
  std::string why;
  auto s = plan_patch_site(bytes({0x4d, 0x8d, 0x6c, 0xed, 0x08}), 0x52b569, &why);
  ASSERT_TRUE(s) << why;
  auto p = place_trampoline(*s, {{0, 0x400000}, {0x2000000, 0x7ffff7000000}});
  ASSERT_TRUE(p);
  int64_t rel = static_cast<int64_t>(p->entry - (s->ip + 5));
  EXPECT_GE(rel, s->rel_lo);
  EXPECT_LE(rel, s->rel_hi);
}

TEST(PointPatch, AnInvalidOpcodeFillsTheJumpWhereInt3CannotReach) {
  // python3 at 0x52b56e: mov %rax,-0x8(%r13) (4 bytes), then an instruction
  // starting at byte 4 of the jump. With int3 there the jump could only go
  // ~820 MiB down, below address 0: the filler is an invalid opcode below
  // 0x80 instead, and the jump goes up.
  std::string why;
  auto s = plan_patch_site(bytes({0x49, 0x89, 0x45, 0xf8, 0x41, 0x0f, 0xb7, 0x47, 0x0c}),
                           0x52b56e, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->fixed_from, 3);
  const std::vector<std::pair<uint64_t, uint64_t>> gaps = {{0, 0x400000},
                                                           {0x2000000, 0x7ffff7000000}};
  auto p = place_trampoline(*s, gaps);
  ASSERT_TRUE(p);
  EXPECT_NE(p->filler, 0xcc);
  EXPECT_LT(p->filler, 0x80);
  EXPECT_GT(p->entry, s->ip);
  auto t = build_trampoline(*s, *p, &why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->filler, p->filler);
  EXPECT_EQ(static_cast<uint8_t>(t->site_bytes[4]), p->filler);  // the rel32's top byte
  EXPECT_EQ(t->interior.at(0).first, s->ip + 4);
  // The same code high up (a PIE program's) keeps int3.
  auto high = plan_patch_site(bytes({0x49, 0x89, 0x45, 0xf8, 0x41, 0x0f, 0xb7, 0x47, 0x0c}),
                              0x555555555000, &why);
  ASSERT_TRUE(high) << why;
  auto hp = place_trampoline(*high, gaps);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->filler, 0xcc);
}

// Free ranges of this process, as point_search.cc reads them for a tracee.
std::vector<std::pair<uint64_t, uint64_t>> own_gaps() {
  std::vector<std::pair<uint64_t, uint64_t>> gaps;
  uint64_t prev = 1 << 20;
  for (const ProcMap& m : read_proc_maps(getpid())) {
    if (m.start >= 0x7ffffffff000) continue;
    if (m.start > prev) gaps.push_back({prev, m.start});
    prev = std::max(prev, m.end);
  }
  return gaps;
}

// Writes the trampoline at `entry`, its data block and the jump at `site_ip`
// in the code page `page`.
void install(const Trampoline& tramp, uint64_t entry, uint64_t site_ip, const std::string& data,
             void* page) {
  std::memcpy(reinterpret_cast<void*>(entry), tramp.code.data(), tramp.code.size());
  std::memcpy(reinterpret_cast<void*>(tramp.data), data.data(), data.size());
  std::memcpy(reinterpret_cast<void*>(site_ip), tramp.site_bytes.data(), tramp.site_bytes.size());
  __builtin___clear_cache(static_cast<char*>(page), static_cast<char*>(page) + 4096);
}

// The general registers and flags a signal handler's context holds.
Regs regs_of(const greg_t* g) {
  Regs regs{};
  auto& r = regs.raw;
  r.rax = g[REG_RAX], r.rbx = g[REG_RBX], r.rcx = g[REG_RCX], r.rdx = g[REG_RDX];
  r.rsi = g[REG_RSI], r.rdi = g[REG_RDI], r.rbp = g[REG_RBP], r.rsp = g[REG_RSP];
  r.r8 = g[REG_R8], r.r9 = g[REG_R9], r.r10 = g[REG_R10], r.r11 = g[REG_R11];
  r.r12 = g[REG_R12], r.r13 = g[REG_R13], r.r14 = g[REG_R14], r.r15 = g[REG_R15];
  r.eflags = g[REG_EFL];
  return regs;
}

// Copies `fn` to a fresh page, patches the instruction at `site_off` with
// registers no pass has, calls fn(n) and returns {its result, passes counted}.
std::pair<uint64_t, uint64_t> run_patched(const std::string& fn, uint32_t site_off, uint64_t n,
                                          size_t want_insns, uint32_t want_interior) {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT_NE(page, MAP_FAILED);
  std::memcpy(page, fn.data(), fn.size());
  const uint64_t site_ip = reinterpret_cast<uint64_t>(page) + site_off;
  std::string why;
  auto site = plan_patch_site(fn.substr(site_off) + std::string(32, '\x90'), site_ip, &why);
  EXPECT_TRUE(site) << why;
  if (!site) return {0, 0};
  EXPECT_EQ(site->insns.size(), want_insns);
  auto place = place_trampoline(*site, own_gaps());
  EXPECT_TRUE(place);
  if (!place) return {0, 0};
  void* t = mmap(reinterpret_cast<void*>(place->map), kPatchMapBytes,
                 PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  EXPECT_EQ(reinterpret_cast<uint64_t>(t), place->map);
  auto tramp = build_trampoline(*site, *place, &why);
  EXPECT_TRUE(tramp) << why;
  if (!tramp) return {0, 0};
  if (want_interior) {  // an instruction start inside the jump: an int3 there
    EXPECT_EQ(static_cast<uint8_t>(tramp->site_bytes[want_interior]), 0xcc);
    EXPECT_EQ(tramp->interior.at(0).first, site_ip + want_interior);
  }
  Regs never{};  // registers no pass has: every pass misses
  std::string data = patch_data(never, uint64_t{1} << 40);
  install(*tramp, place->entry, site_ip, data, page);
  uint64_t result = reinterpret_cast<uint64_t (*)(uint64_t)>(page)(n), passes;
  std::memcpy(&passes, reinterpret_cast<void*>(tramp->data + kPatchPassesOffset), 8);
  munmap(t, kPatchMapBytes);
  munmap(page, 4096);
  return {result, passes};
}

TEST(PointPatch, PatchedLoopRunsUnchangedAndCountsPasses) {
  // count(n): xor %eax,%eax; 1: add $1,%rax; cmp %rdi,%rax; jne 1b; ret
  // The site is the cmp: 3 bytes, then the jne starts inside the jump.
  const std::string fn("\x31\xc0\x48\x83\xc0\x01\x48\x39\xf8\x75\xf7\xc3", 12);
  auto [result, passes] = run_patched(fn, 6, 1000000, 2, 3);
  EXPECT_EQ(result, 1000000u);
  EXPECT_EQ(passes, 1000000u);
}

// The registers a loop changes (compare_first, from differing_registers) are
// compared first, each register still once: a pass that is not the point
// misses at its first compare.
TEST(PointPatch, TheRegistersALoopChangesAreComparedFirst) {
  // count(n) as above, the site its cmp.
  const std::string fn("\x31\xc0\x48\x83\xc0\x01\x48\x39\xf8\x75\xf7\xc3", 12);
  std::string why;
  auto site = plan_patch_site(fn.substr(6) + std::string(32, '\x90'), 0x400006, &why);
  ASSERT_TRUE(site) << why;
  auto place = place_trampoline(*site, {{0x10000, 0x7f0000000000}});
  ASSERT_TRUE(place);
  Regs a{}, b{};
  b.raw.r12 = 1;
  const uint64_t r12_first = differing_registers(a, b);
  EXPECT_EQ(r12_first, uint64_t{1} << 12);
  // cmp %r12,disp(%rip) and cmp %rax,disp(%rip), each once.
  const std::string cmp_r12("\x4c\x39\x25", 3), cmp_rax("\x48\x39\x05", 3);
  for (uint64_t first : {uint64_t{0}, r12_first}) {
    auto t = build_trampoline(*site, *place, &why, {}, first);
    ASSERT_TRUE(t) << why;
    const size_t r12 = t->code.find(cmp_r12), rax = t->code.find(cmp_rax);
    ASSERT_NE(r12, std::string::npos);
    ASSERT_NE(rax, std::string::npos);
    EXPECT_EQ(t->code.find(cmp_r12, r12 + 1), std::string::npos);
    EXPECT_EQ(t->code.find(cmp_rax, rax + 1), std::string::npos);
    EXPECT_EQ(r12 < rax, first != 0);
  }
}

TEST(PointPatch, ABranchBackToTheSiteIsComparedAgain) {
  // down(n): mov %rdi,%rax; 1: sub $1,%rdi; jne 1b; ret
  // The site is the sub; the jne inside the patched bytes loops back to it.
  const std::string fn("\x48\x89\xf8\x48\x83\xef\x01\x75\xfa\xc3", 10);
  auto [result, passes] = run_patched(fn, 3, 1000, 2, 4);
  EXPECT_EQ(result, 1000u);
  EXPECT_EQ(passes, 1000u);  // every pass through the trampoline, not only the first
}

TEST(PointPatch, ALoopInstructionIsRelocatedWithItsCountAndFlags) {
  // count(n): mov %rdi,%rcx; xor %eax,%eax; 1: add $1,%rax; loop 1b; ret
  // The site is the add and the loop (rel8 only, so relocated as lea and
  // jrcxz around a jmp), which goes back to the site: n passes.
  const std::string fn("\x48\x89\xf9\x31\xc0\x48\x83\xc0\x01\xe2\xfa\xc3", 12);
  auto [result, passes] = run_patched(fn, 5, 100000, 2, 4);
  EXPECT_EQ(result, 100000u);
  EXPECT_EQ(passes, 100000u);
}

TEST(PointPatch, AJrcxzIsRelocated) {
  // count(n): mov %rdi,%rcx; xor %eax,%eax; 1: jrcxz 2f; add $1,%rax;
  // dec %rcx; jmp 1b; 2: ret. The site is the jrcxz and the add: n + 1 passes.
  const std::string fn("\x48\x89\xf9\x31\xc0\xe3\x09\x48\x83\xc0\x01\x48\xff\xc9\xeb\xf5\xc3",
                       17);
  auto [result, passes] = run_patched(fn, 5, 1000, 2, 2);
  EXPECT_EQ(result, 1000u);
  EXPECT_EQ(passes, 1001u);
}

TEST(PointPatch, CallsAreMadeWithTheOriginalReturnAddress) {
  // f(n) = 2 * (n + 7): mov %rdi,%rax; call 1f; add %rax,%rax; ret;
  // 1: add $7,%rax; ret. The site is the call (5 bytes: alone).
  const std::string direct("\x48\x89\xf8\xe8\x04\0\0\0\x48\x01\xc0\xc3"
                           "\x48\x83\xc0\x07\xc3", 17);
  auto [result, passes] = run_patched(direct, 3, 5, 1, 0);
  EXPECT_EQ(result, 24u);
  EXPECT_EQ(passes, 1u);
  // The same through a register: lea 1f(%rip),%rdx; mov %rdi,%rax;
  // call *%rdx; add %rax,%rax; ret; nop; 1: add $7,%rax; ret. The site is
  // the mov (3 bytes) and the call ending the jump.
  const std::string indirect("\x48\x8d\x15\x09\0\0\0\x48\x89\xf8\xff\xd2\x48\x01\xc0\xc3"
                             "\x48\x83\xc0\x07\xc3", 21);
  auto [result2, passes2] = run_patched(indirect, 7, 5, 2, 3);
  EXPECT_EQ(result2, 24u);
  EXPECT_EQ(passes2, 1u);
}

TEST(PointPatch, CallsThroughATableBecomeJumpsThroughIt) {
  // python3's dispatch: call *0x73ae00(,%r9,8): a push, then the same
  // operand with /4 (jmp) for /2.
  std::string why;
  auto s = plan_patch_site(bytes({0x42, 0xff, 0x14, 0xcd, 0x00, 0xae, 0x73, 0x00}), 0x52c985, &why);
  ASSERT_TRUE(s) << why;
  ASSERT_EQ(s->insns.size(), 1u);
  EXPECT_EQ(s->insns[0].kind, PatchSite::Insn::kCallIndirect);
  auto p = place_trampoline(*s, {{0, 0x400000}, {0x2000000, 0x7ffff7000000}});
  ASSERT_TRUE(p);
  auto t = build_trampoline(*s, *p, &why);
  ASSERT_TRUE(t) << why;
  const std::string jmp("\x42\xff\x24\xcd\x00\xae\x73\x00", 8);
  const size_t at = t->code.find(jmp);
  ASSERT_NE(at, std::string::npos);
  // Right before it: push $0x52c98d; movl $0,4(%rsp) (the return address).
  EXPECT_EQ(t->code.substr(at - 13, 13),
            std::string("\x68\x8d\xc9\x52\x00\xc7\x44\x24\x04\x00\x00\x00\x00", 13));
}

TEST(PointPatch, TheProgramsFlagsSurviveTheTrampoline) {
  // flags(x): mov %rdi,%rax; add %rax,%rax; mov %rax,%rcx; mov %rcx,%rdx; pushfq; pop %rax; ret
  // The site (the first mov) lies between the add and the read of its flags.
  const std::string fn("\x48\x89\xf8\x48\x01\xc0\x48\x89\xc1\x48\x89\xca\x9c\x58\xc3", 15);
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  std::memcpy(page, fn.data(), fn.size());
  auto native = reinterpret_cast<uint64_t (*)(uint64_t)>(page);
  constexpr uint64_t kArith = 0x8d5;  // OF SF ZF AF PF CF
  for (uint64_t x : {uint64_t{1}, uint64_t{0x4000000000000000}, uint64_t{0x8000000000000000},
                     uint64_t{0xc000000000000008}, uint64_t{0}}) {
    uint64_t want = native(x) & kArith;
    auto [got, passes] = run_patched(fn, 6, x, 2, 3);
    EXPECT_EQ(got & kArith, want) << std::hex << "x=" << x;
    EXPECT_EQ(passes, 1u);
  }
  munmap(page, 4096);
}

TEST(PointPatch, TheStackUnderTheStackPointerKeepsTheProgramsBytes) {
  // under(): movq $A,-136(%rsp); movq $B,-144(%rsp); mov %rdi,%rax;
  //          mov -136(%rsp),%rax; xor -144(%rsp),%rax; ret
  // The site is the mov between the stores and the loads: the trampoline
  // must not keep rax and the flags there (a later frame's slots the
  // recording never wrote; tests/threads stale_stack_point).
  const std::string fn(
      "\x48\xc7\x84\x24\x78\xff\xff\xff\x44\x33\x22\x11"
      "\x48\xc7\x84\x24\x70\xff\xff\xff\x88\x77\x66\x55"
      "\x48\x89\xf8"
      "\x48\x8b\x84\x24\x78\xff\xff\xff"
      "\x48\x33\x84\x24\x70\xff\xff\xff\xc3",
      44);
  auto [result, passes] = run_patched(fn, 24, 7, 2, 3);
  EXPECT_EQ(result, uint64_t{0x11223344} ^ 0x55667788);
  EXPECT_EQ(passes, 1u);
}

// The rep compare, run in this process: int3s the trampoline executes come
// to this SIGTRAP handler. The first `forced` stop (budget 6: the 6th pass)
// captures the registers at the start of a call; the search is then set to a
// point 100 iterations into that call, and the hits are recorded.
struct RepRun {
  Trampoline tramp;
  RepString rep;
  int forced = 0;
  std::vector<std::array<uint64_t, 3>> hits;  // rax, rcx, rsi at each hit
};
RepRun* rep_run;

void rep_trap(int, siginfo_t*, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  greg_t* g = uc->uc_mcontext.gregs;
  const uint64_t trap = static_cast<uint64_t>(g[REG_RIP]) - 1;
  if (trap == rep_run->tramp.forced && rep_run->forced++ == 0) {
    Regs target = regs_of(g);
    target.raw.rcx -= 100, target.raw.rsi += 100, target.raw.rdi += 100;
    std::string data = patch_data(target, uint64_t{1} << 40, &rep_run->rep);
    std::memcpy(reinterpret_cast<void*>(rep_run->tramp.data), data.data(), data.size());
  } else if (trap == rep_run->tramp.hit) {
    rep_run->hits.push_back({static_cast<uint64_t>(g[REG_RAX]), static_cast<uint64_t>(g[REG_RCX]),
                             static_cast<uint64_t>(g[REG_RSI])});
  } else if (trap != rep_run->tramp.forced) {
    abort();
  }
  g[REG_RIP] = static_cast<greg_t>(rep_run->tramp.body);
}

TEST(PointPatch, ARepStringSiteStopsAtEveryStartThePointIsReachableFrom) {
  // copy(dst, src, n, tag): saves the callee-saved registers, rax = tag,
  // rcx = n, every other register but rsi/rdi/rsp zeroed, rep movsb (the
  // site, at 46), nop, restores them and returns.
  const std::string fn(
      "\x53\x55\x41\x54\x41\x55\x41\x56\x41\x57\x48\x89\xc8\x48\x89\xd1"
      "\x31\xdb\x31\xed\x31\xd2\x45\x31\xc0\x45\x31\xc9\x45\x31\xd2\x45\x31\xdb"
      "\x45\x31\xe4\x45\x31\xed\x45\x31\xf6\x45\x31\xff\xf3\xa4\x0f\x1f\x44\x00\x00"
      "\x41\x5f\x41\x5e\x41\x5d\x41\x5c\x5d\x5b\xc3",
      66);
  constexpr uint32_t kSite = 46;
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  std::memcpy(page, fn.data(), fn.size());
  const uint64_t site_ip = reinterpret_cast<uint64_t>(page) + kSite;
  std::string why;
  auto site = plan_patch_site(fn.substr(kSite) + std::string(32, '\x90'), site_ip, &why);
  ASSERT_TRUE(site) << why;
  RepRun run;
  run.rep = *decode_rep_string(fn.substr(kSite, 16), site_ip);
  Regs forward{};
  forward.raw.eflags = 0x246;  // DF clear
  set_rep_compare(*site, run.rep, forward);
  auto place = place_trampoline(*site, own_gaps());
  ASSERT_TRUE(place);
  void* t = mmap(reinterpret_cast<void*>(place->map), kPatchMapBytes,
                 PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  ASSERT_EQ(reinterpret_cast<uint64_t>(t), place->map);
  auto tramp = build_trampoline(*site, *place, &why);
  ASSERT_TRUE(tramp) << why;
  run.tramp = *tramp;
  Regs never{};
  std::string data = patch_data(never, 6, &run.rep);  // forced at the 6th pass
  install(*tramp, place->entry, site_ip, data, page);

  rep_run = &run;
  struct sigaction sa {}, old {};
  sa.sa_sigaction = rep_trap;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGTRAP, &sa, &old);
  static unsigned char src[4096], dst[4096];
  auto copy = reinterpret_cast<void (*)(unsigned char*, const unsigned char*, uint64_t, uint64_t)>(page);
  struct Call {
    int64_t shift;  // src and dst moved by this many bytes, n grown by as many
    uint64_t n, tag;
    int src_skew;   // src alone moved: inconsistent with the point
  };
  // The 6th call (tag 5, n 1000 at +1000) is the one the point lies in.
  const Call calls[] = {{0, 1000, 0, 0}, {0, 1000, 1, 0}, {0, 1000, 2, 0}, {0, 1000, 3, 0},
                        {0, 1000, 4, 0}, {0, 1000, 5, 0},
                        {0, 1000, 4, 0},    // another tag: rax differs
                        {0, 1000, 5, 1},    // rsi one byte off
                        {0, 50, 5, 0},      // rcx below the point's: it lies behind
                        {-60, 1060, 5, 0},  // starts 60 bytes earlier: reaches it
                        {0, 1000, 5, 0}};   // the recorded call again
  for (const Call& c : calls)
    copy(dst + 1000 + c.shift, src + 1000 + c.shift + c.src_skew, c.n, c.tag);
  sigaction(SIGTRAP, &old, nullptr);
  munmap(t, kPatchMapBytes);
  munmap(page, 4096);
  EXPECT_EQ(run.forced, 1);
  ASSERT_EQ(run.hits.size(), 2u);
  const uint64_t s = reinterpret_cast<uint64_t>(src);
  EXPECT_EQ(run.hits[0], (std::array<uint64_t, 3>{5, 1060, s + 1000 - 60}));
  EXPECT_EQ(run.hits[1], (std::array<uint64_t, 3>{5, 1000, s + 1000}));
}

// The memory check, run in this process: a loop whose registers repeat at
// every pass and whose count is in memory. The 6th pass is forced and gives
// the registers; from then on the trampoline traps only at passes whose
// window (the count) hashes to the given sum.
struct WindowRun {
  Trampoline tramp;
  const uint64_t* count = nullptr;
  std::vector<uint64_t> hits;  // the count at each
};
WindowRun* window_run;

void window_trap(int, siginfo_t*, void* ctx) {
  greg_t* g = static_cast<ucontext_t*>(ctx)->uc_mcontext.gregs;
  const uint64_t trap = static_cast<uint64_t>(g[REG_RIP]) - 1;
  if (trap == window_run->tramp.forced) {
    std::string data = patch_data(regs_of(g), uint64_t{1} << 40);
    std::memcpy(reinterpret_cast<void*>(window_run->tramp.data), data.data(), data.size());
  } else if (trap == window_run->tramp.hit) {
    window_run->hits.push_back(*window_run->count);
  } else {
    abort();
  }
  g[REG_RIP] = static_cast<greg_t>(window_run->tramp.body);
}

// The counts at which the loop trapped, its windows those given.
std::vector<uint64_t> run_window_loop(const std::vector<DigestWindow>& windows, uint64_t* count) {
  // count_to(p, n): 1: incq (%rdi); cmp %rsi,(%rdi); jne 1b; ret. The site is
  // the incq; the registers are the same at every pass, and the flags at
  // every pass whose count has the 5th's parity and low nibble borrow.
  const std::string fn("\x48\xff\x07\x48\x39\x37\x75\xf8\xc3", 9);
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT_NE(page, MAP_FAILED);
  std::memcpy(page, fn.data(), fn.size());
  const uint64_t site_ip = reinterpret_cast<uint64_t>(page);
  std::string why;
  auto site = plan_patch_site(fn + std::string(32, '\x90'), site_ip, &why);
  auto place = site ? place_trampoline(*site, own_gaps()) : std::nullopt;
  EXPECT_TRUE(place) << why;
  if (!place) return {};
  void* t = mmap(reinterpret_cast<void*>(place->map), kPatchMapBytes,
                 PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  EXPECT_EQ(reinterpret_cast<uint64_t>(t), place->map);
  auto tramp = build_trampoline(*site, *place, &why, windows);
  EXPECT_TRUE(tramp) << why;
  if (!tramp) return {};
  WindowRun run;
  run.tramp = *tramp;
  run.count = count;
  std::string data = patch_data(Regs{}, 6);  // forced at the 6th pass
  install(*tramp, place->entry, site_ip, data, page);
  window_run = &run;
  struct sigaction sa {}, old {};
  sa.sa_sigaction = window_trap;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGTRAP, &sa, &old);
  *count = 0;
  reinterpret_cast<void (*)(uint64_t*, uint64_t)>(page)(count, 1 << 20);
  sigaction(SIGTRAP, &old, nullptr);
  munmap(t, kPatchMapBytes);
  munmap(page, 4096);
  return run.hits;
}

TEST(PointPatch, TheTrampolineTrapsOnlyWhereTheMemoryHashesToTheRecordedSum) {
  static uint64_t count[2];
  const uint64_t start = reinterpret_cast<uint64_t>(count);
  const __u64 at1000[2] = {1000, 0}, never[2] = {~0ull, 0};  // 1000: the 5th's parity
  EXPECT_EQ(run_window_loop({{start, 2, rp_digest_words(at1000, 2)}}, count),
            std::vector<uint64_t>{1000});
  EXPECT_EQ(run_window_loop({{start, 2, rp_digest_words(at1000, 2)},
                             {start + 8, 1, rp_digest_words(never, 1)}},
                            count),
            std::vector<uint64_t>{});  // every window must hold
  EXPECT_GT(run_window_loop({}, count).size(), 1000u);  // registers alone: many passes
}

#else

TEST(PointPatch, RefusedOffX86) {
  std::string why;
  EXPECT_FALSE(plan_patch_site(std::string(64, '\0'), 0x400000, &why));
  EXPECT_FALSE(why.empty());
}

#endif

}  // namespace
}  // namespace rp
