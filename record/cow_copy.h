// Copy-on-write snapshot contents (docs/design.md, "Attach: snapshot and
// restore"): while every thread is held, the process is made to fork a
// frozen copy of itself (an injected clone: its memory is the process's at
// that instant, shared copy-on-write); the process then runs on while a
// thread of rp reads the private contents from the copy into a side file
// next to the trace. The copy never runs a single instruction: it is held in
// its first ptrace stop and killed once read. The contents enter the trace
// (snapshot_mem rows, blobs) only when the trace is finished or saved.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "snapshot.h"
#include "take_snapshot.h"

namespace rp {

namespace sql {
class Db;
}

class CowCopy {
 public:
  // During the pause (every thread of tgid held by rp): the frozen copy,
  // forked by the thread tgid through the syscall instruction `insn`. Null
  // with *why set when the kernel refuses (RLIMIT_NPROC, seccomp, memory
  // cgroup...): the caller reads the contents while the process is held.
  static std::unique_ptr<CowCopy> fork(pid_t tgid, uint64_t insn, std::string side_path,
                                       std::string* why, const ForgetCopy& forget = nullptr);
  ~CowCopy();  // stops the reader, kills the copy, removes the side file
  CowCopy(const CowCopy&) = delete;
  CowCopy& operator=(const CowCopy&) = delete;

  // After the pause: reads `maps` from the copy in a thread of rp's own.
  void start(std::vector<SnapMap> maps);
  // Waits for the reader: what it read. Throws rp::Error if the copy was lost
  // before it was read (killed by someone else): the snapshot is incomplete.
  SnapshotStats wait();
  // Waits for the reader (it kills the copy when done), throwing nothing.
  void join();
  // wait(), then the contents as `prefix`snapshot_mem rows and their blobs
  // (deduplicated by hash, as TraceWriter::put_blob does) in db.
  SnapshotStats import_into(sql::Db& db, const std::string& prefix);
  pid_t pid() const { return pid_; }

 private:
  CowCopy(pid_t pid, std::string side_path) : pid_(pid), side_(std::move(side_path)) {}
  void read_all(std::vector<SnapMap> maps);
  void end_copy();
  pid_t pid_;
  pid_t parent_ = 0;  // the process, when it is the copy's parent (reap_copies)
  std::string side_;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  SnapshotStats stats_;
  std::string error_;
  bool ended_ = false;
};

// The copies of process tgid that ended as its zombies (the process was not
// rp's child: the copy's parent is the process, which only it can reap):
// reaped by an injected wait4 in the held thread tgid. Called at the next
// pause and at detach.
void reap_copies(pid_t tgid, uint64_t insn);
// The same through `inj`, a thread of tgid's held by a caller that restores it.
class SyscallInjector;
void reap_copies(pid_t tgid, SyscallInjector& inj);

// The meta that counts a snapshot's contents (snapshot_bytes_read...) and
// says how they were read (snapshot_copy), in the trace db.
void write_snapshot_counts(sql::Db& db, const SnapshotStats& st);

}  // namespace rp
