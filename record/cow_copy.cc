#include "cow_copy.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "blob.h"
#include "error.h"
#include "inject.h"
#include "sqlite.h"
#include "tracee.h"
#include "tracer_tsc.h"
#include "unique_fd.h"

namespace rp {
namespace {

// Copies that are zombies of their process, waiting for reap_copies.
std::mutex zombies_mu;
std::map<pid_t, std::vector<pid_t>> zombies;  // by process

const char* const kSideSchema =
    "CREATE TABLE mem(addr INTEGER NOT NULL, size INTEGER NOT NULL, hash BLOB NOT NULL, "
    "data BLOB NOT NULL)";

}  // namespace

std::unique_ptr<CowCopy> CowCopy::fork(pid_t tgid, uint64_t insn, std::string side_path,
                                       std::string* why, const ForgetCopy& forget) {
#if defined(__x86_64__)
  // A child of rp's own (the process is rp's child: CLONE_PARENT) is reaped
  // by rp entirely; a child of the process is a zombie there until the
  // process is held again (reap_copies). Exit signal 0 either way: the
  // process is never told (no SIGCHLD; only a wait with __WALL or __WCLONE
  // sees such a child).
  bool ours = parent_of(tgid) == getpid();
  uint64_t flags = ours ? CLONE_PARENT : 0;
  SyscallInjector inj(tgid, insn);
  auto r = inj.call(SYS_clone, {flags, 0, 0, 0, 0}, why);
  std::string back;
  if (!inj.restore(&back)) {
    if (r && *r > 0) kill(static_cast<pid_t>(*r), SIGKILL);
    throw Error("snapshot: cannot put thread " + std::to_string(tgid) + " back: " + back);
  }
  if (!r) return nullptr;
  if (*r <= 0) {
    *why = std::string("the process cannot fork (clone: ") + strerror(static_cast<int>(-*r)) + ")";
    return nullptr;
  }
  auto pid = static_cast<pid_t>(*r);
  // Its first stop (traced as a clone of a traced thread), taken here so the
  // recorder never sees it: it stays held there until killed.
  int status;
  pid_t w;
  do w = waitpid(pid, &status, __WALL);
  while (w < 0 && errno == EINTR);
  if (w != pid || !WIFSTOPPED(status)) {
    *why = "the copy did not stop";
    return nullptr;
  }
  // Killed with rp if rp dies: it must never run the program's code. No
  // other option: its end reports no stop the recorder would take for a task.
  ptrace(PTRACE_SETOPTIONS, pid, nullptr, PTRACE_O_EXITKILL);
  std::unique_ptr<CowCopy> c(new CowCopy(pid, std::move(side_path)));
  if (!ours) c->parent_ = tgid;
  if (forget && !forget(pid)) {  // ended as any copy is (end_copy), never read
    *why = "the kernel backend cannot leave the copy out of the trace";
    return nullptr;
  }
  return c;
#else
  (void)tgid, (void)insn, (void)side_path, (void)forget;
  *why = "not implemented on this architecture";
  return nullptr;
#endif
}

void CowCopy::start(std::vector<SnapMap> maps) {
  // Every signal blocked in the reader (it inherits the mask): a SIGCHLD
  // taken there would never reach the recorder's signalfd.
  sigset_t all;
  sigfillset(&all);
  ScopedSignalMask block(SIG_BLOCK, all);
  reader_ = std::thread([this, m = std::move(maps)]() mutable {
    untrap_new_thread();
    read_all(std::move(m));
  });
}

void CowCopy::read_all(std::vector<SnapMap> maps) {
  try {
    // The process's memory: readable by its owner alone, as the trace (0600).
    unlink(side_.c_str());
    int fd = open(side_.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno("cannot create " + side_);
    close(fd);
    sql::Db side(side_, SQLITE_OPEN_READWRITE);
    side.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF");
    side.exec(kSideSchema);
    side.exec("BEGIN");
    sql::Stmt ins(side, "INSERT INTO mem VALUES(?,?,?,?)");
    read_contents(
        pid_, maps, stats_,
        [&](uint64_t addr, const std::string& bytes) {
          std::string h = hash128(bytes), packed = zstd_compress(bytes);
          ins.bind(1, static_cast<int64_t>(addr)).bind(2, static_cast<int64_t>(bytes.size()))
              .bind_blob(3, h.data(), h.size()).bind_blob(4, packed.data(), packed.size()).run();
        },
        [&] { return stop_.load(); });
    side.exec("COMMIT");
    // Read from the copy, not from what replaced it: still held where it stopped.
    if (proc_task_state(pid_) != 't') error_ = "the frozen copy ended before it was read";
  } catch (const Error& e) {
    error_ = e.what();
  }
  end_copy();
}

// Killed and reaped as rp's tracee (the recorder's waitpid(-1) may take it
// first: it ignores a pid it does not know).
void CowCopy::end_copy() {
  if (ended_) return;
  ended_ = true;
  kill(pid_, SIGKILL);
  int status;
  pid_t w;
  do w = waitpid(pid_, &status, __WALL);
  while (w < 0 && errno == EINTR);
  if (parent_) {
    std::lock_guard<std::mutex> lk(zombies_mu);
    zombies[parent_].push_back(pid_);
  }
}

void CowCopy::join() {
  if (reader_.joinable()) reader_.join();
}

SnapshotStats CowCopy::wait() {
  join();
  if (!error_.empty()) throw Error("snapshot: " + error_);
  return stats_;
}

SnapshotStats CowCopy::import_into(sql::Db& db, const std::string& prefix) {
  SnapshotStats st = wait();
  sql::Db side(side_, SQLITE_OPEN_READONLY);
  sql::Stmt rows(side, "SELECT addr, size, hash, data FROM mem ORDER BY addr");
  sql::Stmt find(db, "SELECT id FROM blobs WHERE hash=?");
  sql::Stmt blob(db, "INSERT INTO blobs(hash,size,codec,data) VALUES(?,?,'zstd',?)");
  sql::Stmt mem(db, ("INSERT INTO " + prefix + "snapshot_mem VALUES(?,?,?)").c_str());
  while (rows.step()) {
    std::string h = rows.blob(2), data = rows.blob(3);
    find.bind_blob(1, h.data(), h.size());
    int64_t id;
    if (find.step()) {
      id = find.i64(0);
    } else {
      blob.bind_blob(1, h.data(), h.size()).bind(2, rows.i64(1))
          .bind_blob(3, data.data(), data.size()).run();
      id = db.last_rowid();
    }
    find.reset();
    mem.bind(1, rows.i64(0)).bind(2, rows.i64(1)).bind(3, id).run();
  }
  return st;
}

CowCopy::~CowCopy() {
  stop_ = true;
  if (reader_.joinable()) reader_.join();
  end_copy();
  unlink(side_.c_str());
}

void reap_copies(pid_t tgid, SyscallInjector& inj) {
  std::vector<pid_t> pids;
  {
    std::lock_guard<std::mutex> lk(zombies_mu);
    pids.swap(zombies[tgid]);
  }
  std::string why;
  for (pid_t pid : pids)
    inj.call(SYS_wait4, {static_cast<uint64_t>(pid), 0, __WALL | WNOHANG, 0}, &why);
}

void reap_copies(pid_t tgid, uint64_t insn) {
  {
    std::lock_guard<std::mutex> lk(zombies_mu);
    auto it = zombies.find(tgid);
    if (it == zombies.end() || it->second.empty()) return;
  }
  SyscallInjector inj(tgid, insn);
  reap_copies(tgid, inj);
  std::string why;
  if (!inj.restore(&why))
    throw Error("snapshot: cannot put thread " + std::to_string(tgid) + " back: " + why);
}

void write_snapshot_counts(sql::Db& db, const SnapshotStats& st) {
  sql::Stmt m(db, "INSERT OR REPLACE INTO meta VALUES(?,?)");
  m.bind(1, "snapshot_bytes_read").bind(2, static_cast<int64_t>(st.bytes_read)).run();
  m.bind(1, "snapshot_bytes_stored").bind(2, static_cast<int64_t>(st.bytes_stored)).run();
  m.bind(1, "snapshot_unreadable_pages").bind(2, static_cast<int64_t>(st.unreadable_pages)).run();
  m.bind(1, "snapshot_copy").bind(2, st.copy).run();
}

}  // namespace rp
