// Calls that move bytes between files inside the kernel (sendfile, splice,
// tee, copy_file_range): the bytes never pass through the program's memory,
// so when the destination is the program's stdout or stderr (which replay
// echoes, replay/output_fds.h) the recorder keeps them in the event's extra,
// as far as it can read them back (a regular file's bytes at the offset the
// call read from; what came out of a pipe is gone).
#pragma once
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rp_abi.h"
#include "trace.h"

namespace rp {

class Tracee;

static_assert(RP_NR_SENDFILE == SYS_sendfile && RP_NR_SPLICE == SYS_splice &&
              RP_NR_TEE == SYS_tee && RP_NR_COPY_FILE_RANGE == SYS_copy_file_range);

// The output fd argument of a kernel-copy call, or -1 for any other call.
inline int kernel_copy_output_arg(int64_t nr) { return rp_kernel_copy_out_arg(nr); }

// A syscall event's extra holding the bytes a kernel-copy call sent: this
// prefix, then exactly `ret` bytes (docs/trace-format.md).
inline constexpr std::string_view kCopiedPrefix = "copied:";

// The bytes a kernel-copy event's extra holds, if it holds them.
inline std::optional<std::string_view> copied_bytes(const Event& e) {
  std::string_view x = e.extra;
  if (!x.starts_with(kCopiedPrefix)) return std::nullopt;
  return x.substr(kCopiedPrefix.size());
}

// The largest copy whose bytes are kept (a larger one is a divergence in
// replay when it reached the terminal).
inline constexpr int64_t kMaxCopiedBytes = 64 << 20;

// The files a recorded program's stdout and stderr were when recording began
// (what replay echoes): their device and inode; none where the fd was closed.
struct OutputFiles {
  std::optional<std::pair<dev_t, ino_t>> file[2];
  bool is_output(const struct stat& st) const;
};
OutputFiles output_files_of(pid_t pid);

// The same for a kernel backend's rule (rp_abi.h rp_is_output_file): devices
// in the kernel's own numbering (MKDEV: major << 20 | minor).
rp_output_files kernel_output_files(const OutputFiles& out);

// Called at the exit of a successful kernel-copy call of thread `tid`, still
// stopped there, whose event `e` has its arguments and result: when its
// destination is one of `out` and its source a regular file, the bytes it
// copied, read back from the file. None otherwise (or when they cannot be read).
std::optional<std::string> read_copied_bytes(pid_t tid, Tracee& mem, const Event& e,
                                             const OutputFiles& out);

}  // namespace rp
