// Which descriptors of each replayed process still refer to rp's stdout and
// stderr, followed through dup/close/fork the way the kernel did it, so that
// `rp replay` prints exactly the program's terminal output (and not what a
// pipeline stage wrote into a pipe); and which refer to the same opened file
// (replay/file_maps.h: a write reaches the file's shared mappings).
#pragma once
#include <sys/types.h>

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "file_objects.h"
#include "kernel_copy.h"  // kernel_copy_output_arg, for its users here
#include "trace.h"

namespace rp {

// The descriptors a sendmsg or sendmmsg passes (SCM_RIGHTS), read from the
// program's memory (its msghdrs and their control buffers) at the call.
std::vector<int> sent_fds(const Event& e, const std::function<std::string(uint64_t, size_t)>& read);

class OutputFds {
 public:
  OutputFds();
  // The working directory the recorded program started in (the trace's
  // meta cwd, or its snapshot's; empty: unknown), against which relative
  // paths are resolved.
  void set_start_cwd(const std::string& cwd);
  // Replay starts from a snapshot: its process's descriptors that were rp's
  // stdout (1) or stderr (2) then, by fd, in place of fds 1 and 2.
  void set_start_outputs(const std::map<int, int>& fds);
  // Returns 1 or 2 if fd of the process running thread rec_tid is rp's
  // stdout or stderr, else 0.
  int target(pid_t rec_tid, int fd) const;
  // Which opened file fd of that process refers to: the same number for
  // descriptors dup'd or inherited from one open, 0 if unknown. (Opening
  // the same path twice gives two numbers.)
  uint64_t file_id(pid_t rec_tid, int fd) const;
  // Which file (inode) fd of that process is, as far as replay can tell
  // (replay/file_objects.h): 0 for a device or a descriptor rp does not know.
  uint64_t object_id(pid_t rec_tid, int fd) const;
  // Whether fd was opened for writing (O_WRONLY, O_RDWR; memfd_create).
  bool writable(pid_t rec_tid, int fd) const { return writable_.count(file_id(rec_tid, fd)) != 0; }
  // That file was mapped shared: its names stay tied to it.
  void pin_object(uint64_t object) { names_.pin(object); }
  // The file offset of fd after the events applied so far, if rp could
  // follow it (open, read/write, lseek's result); none when a call rp does
  // not follow used the file, or it was opened with O_APPEND.
  std::optional<uint64_t> position(pid_t rec_tid, int fd) const;
  // Whose memory fd's file is, when the program opened a process's mem file
  // by path (/proc/N/mem, /proc/self/mem, /proc/N/task/M/mem, or relative
  // to a /proc directory it opened or made its working directory): the
  // recorded tid named there (the opener's for self), or 0 for a mem file
  // rp cannot tie to a process (a /proc path of another shape, one with
  // "..", or a relative one whose directory rp does not know). None for
  // any other file.
  std::optional<pid_t> mem_file_owner(pid_t rec_tid, int fd) const;
  // Applies a completed syscall event (recorded result) to the tables.
  void apply(const Event& e, pid_t rec_tgid);
  // Descriptors passed through a socket (SCM_RIGHTS, replay/fd_passing.cc):
  // sendmsg (or sendmmsg) of `fds` by rec_tid on socket `sock`, as replay
  // reads them from the program's msghdr at the call. A later recvmsg or
  // recvmmsg on the socket's peer
  // (a socketpair's other end) gets them, in order, under the numbers its
  // recorded control message gives; unmatched ones are files rp does not know.
  void note_sent(pid_t rec_tid, int sock, const std::vector<int>& fds);
  // A new task: a thread (or CLONE_FILES child) shares its creator's table,
  // a process gets a copy; likewise the working directory with CLONE_FS.
  void on_new_task(pid_t parent_tid, pid_t child_tid, bool share, bool share_fs);
  // How many opened files rp keeps facts about (offset, directory path, mem
  // owner): bounded by the descriptors still open, not by the opens so far.
  size_t files_kept() const {
    return pos_.size() + mem_files_.size() + dir_paths_.size() + pidfds_.size() + peers_.size() +
           in_flight_.size() + objects_.size() +
           writable_.size() + names_.names();
  }

 private:
  // fd -> 1 or 2 (rp's stdout, stderr), or a number > 2 for another file
  using Table = std::map<int, uint64_t>;
  using Cwd = std::optional<std::string>;  // none: unknown
  std::map<pid_t, std::shared_ptr<Table>> by_tid_;
  std::shared_ptr<Table> root_;
  uint64_t next_file_ = 3;
  std::map<uint64_t, std::optional<uint64_t>> pos_;  // by file id
  std::map<uint64_t, pid_t> mem_files_;              // by file id: mem_file_owner
  std::map<uint64_t, std::string> dir_paths_;  // by file id: what may be a directory
  std::map<uint64_t, pid_t> pidfds_;           // by file id: the recorded pid a pidfd names
  std::map<uint64_t, uint64_t> peers_;         // socketpair ends, by file id: the other end
  std::map<uint64_t, std::deque<std::vector<uint64_t>>> in_flight_;  // by receiving socket
  std::map<uint64_t, uint64_t> objects_;       // by file id: object_id
  std::set<uint64_t> writable_;                // file ids opened for writing
  FileObjects names_;
  std::map<pid_t, std::shared_ptr<Cwd>> cwd_by_tid_;
  std::shared_ptr<Cwd> root_cwd_;
  size_t kept_after_sweep_ = 0;
  void forget_closed_files();
  void follow_position(const Event& e, const Table& t);
  std::shared_ptr<Cwd>& cwd_of(pid_t tid);
  Cwd resolve(pid_t tid, const Table& t, int dirfd, const std::string& path);
  void apply_open(const Event& e, Table& t);
  void apply_pidfd_getfd(const Event& e, Table& t);
  void apply_received(const Event& e, Table& t);
  void take_received(const Event& e, Table& t, const std::vector<int>& got);
  void apply_chdir(const Event& e, const Table& t);
  Cwd path_at(const Event& e, const Table& t, int dirfd_arg, int path_arg);
  void apply_names(const Event& e, const Table& t);
};

}  // namespace rp
