// Making the vDSO's clock functions visible to ptrace.
//
// clock_gettime, gettimeofday, time, getcpu and clock_getres run in the vDSO
// without entering the kernel, so neither record nor replay would see them and
// replay would show other times. After every exec, record and replay overwrite
// each of those entry points in the tracee with a stub that makes the real
// syscall; the calls then are recorded and injected like any other syscall.
//
// getrandom's vDSO entry (kernels >= 6.11) has a different signature
// (buffer, len, flags, opaque_state, opaque_len) and produces its bytes in user
// space; its stub returns -ENOSYS, which makes a libc that uses it (glibc >=
// 2.41, Go >= 1.24) fall back to the getrandom syscall. glibc 2.36 (Debian 12)
// never calls it.
//
// Record and replay patch at the same point of the trace (the execve exit
// stop), so the replayed vDSO matches the recorded one on the same kernel; on
// another kernel the stubs land at that kernel's symbol addresses.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rp {

struct VdsoPatch {
  uint64_t offset = 0;             // from the start of the mapped image
  std::string bytes;               // the stub written there
  std::vector<std::string> names;  // every symbol at that entry (aliases)
};

// The stubs for one vDSO image (its bytes as mapped, i.e. from AT_SYSINFO_EHDR
// on). nullopt with *error set if the image is not this architecture's vDSO or
// an entry is too small for its stub.
std::optional<std::vector<VdsoPatch>> plan_vdso_patches(std::string_view image,
                                                        std::string* error);

struct VdsoRange {
  uint64_t addr = 0, size = 0;
};
// Where tid's vDSO is mapped; nullopt if it has none (error left empty) or
// /proc disagrees with itself (error set).
std::optional<VdsoRange> find_vdso(pid_t tid, std::string* error);

// Patches the vDSO of the stopped tracee tid. True if patched or if the
// process has no vDSO; false with *error set otherwise.
bool patch_vdso(pid_t tid, std::string* error);

}  // namespace rp
