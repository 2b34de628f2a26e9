// Calls that move bytes between files inside the kernel (sendfile, splice,
// tee, copy_file_range): the bytes never pass through the program's memory,
// so when the destination is the program's stdout or stderr (which replay
// echoes, replay/output_fds.h) the recorder keeps them in the event's extra,
// as far as it can read them back (a regular file's bytes at the offset the
// call read from or wrote to, the head of the pipe tee read without consuming
// it; what splice took out of a pipe into a pipe or terminal is gone).
#pragma once
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
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
  bool is_file(int i, const struct stat& st) const;  // file[i], i 0 (stdout) or 1
  bool is_output(const struct stat& st) const { return is_file(0, st) || is_file(1, st); }
};
OutputFiles output_files_of(pid_t pid);
// What thread tid's descriptor fd is (stat of /proc/TID/fd/FD) when it is one
// of `out`'s files; none otherwise or if it cannot be read.
std::optional<struct stat> output_stat(pid_t tid, uint64_t fd, const OutputFiles& out);
// Which descriptors of process pid are one of `out`'s files now, by fd: 1
// (stdout's) or 2 (stderr's); a descriptor that is both (one terminal) is
// stderr's only as fd 2. What a snapshot says replay echoes (snapshot.h).
std::map<int, int> output_fds_of(pid_t pid, const OutputFiles& out);

// The same for a kernel backend's rule (rp_abi.h rp_is_output_file): devices
// in the kernel's own numbering (MKDEV: major << 20 | minor).
rp_output_files kernel_output_files(const OutputFiles& out);

// Called at the exit of a successful kernel-copy call of thread `tid`, still
// stopped there, whose event `e` has its arguments and result: when its
// destination is one of `out`, the bytes it copied, read back
//  - from its source, a regular file, before the offset the call left;
//  - for splice from a pipe into a regular file (the output), from that file
//    before the offset the call left;
//  - for tee, from the head of its source pipe, which tee did not consume
//    (peek_pipe). Only when nobody else can have read the pipe in between:
//    the thread's process has no other thread and no other process holds the
//    pipe open for reading (a scan of /proc). Otherwise the bytes are unknown.
//  - for splice out of a pipe into a pipe or terminal, where the bytes are
//    gone at the exit, from `peek` (peek_splice_source at the call's entry):
//    its first `ret` bytes, under the same condition as tee's.
// None otherwise, or when they cannot be read: replay then reports a
// divergence if it has to print them, never other bytes.
// What splice out of a pipe into an output that is no regular file (a pipe,
// a terminal) will take: the bytes waiting at the head of its source pipe,
// peeked at the call's entry (peek_splice_source). The call's own arguments
// come with them, so that they are never taken for another call's.
struct EntryPeek {
  uint64_t fd_in = 0, fd_out = 0, len = 0;
  std::string bytes;
};

std::optional<std::string> read_copied_bytes(pid_t tid, Tracee& mem, const Event& e,
                                             const OutputFiles& out,
                                             const EntryPeek* peek = nullptr);

// At the entry of call (nr, args) of thread `tid`, stopped there: for splice
// out of a pipe into one of `out` that is no regular file, the bytes waiting
// in the pipe, up to the call's length. None for any other call. Splice takes
// them from the head of the pipe; read_copied_bytes keeps the first `ret` at
// the exit when nobody else can have read the pipe in between (as for tee).
std::optional<EntryPeek> peek_splice_source(pid_t tid, int64_t nr, const uint64_t* args,
                                            const OutputFiles& out);

// The first `n` bytes waiting in pipe `fd` of thread `tid`, without consuming
// them (a tee of rp's own into a private pipe); none if fewer are there.
std::optional<std::string> peek_pipe(pid_t tid, uint64_t fd, uint64_t n);

}  // namespace rp
