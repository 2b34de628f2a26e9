#include "trace_recover.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "error.h"
#include "sqlite.h"
#include "unique_fd.h"

namespace rp {
namespace {

// The first 8 bytes of every rollback journal header (SQLite's file format).
constexpr unsigned char kJournalMagic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};

bool magic_at(int fd, off_t off) {
  unsigned char b[8];
  return off >= 0 && pread(fd, b, 8, off) == 8 && memcmp(b, kJournalMagic, 8) == 0;
}

void copy_file(const std::string& from, const std::string& to) {
  unique_fd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw_errno(from);
  unique_fd out(open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out) throw_errno(to);
  char buf[1 << 16];
  for (;;) {
    // The kernel copies (or shares extents) where it can.
    ssize_t n = copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0);
    if (n > 0) continue;
    if (n == 0) return;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      throw_errno("copying " + from);
    break;
  }
  for (ssize_t n; (n = read(in.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 || write(out.get(), buf, static_cast<size_t>(n)) != n)
      throw_errno("copying " + from);
  }
}

uint32_t be32(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// Whether `trace` still is exactly as of the journal's start: as large as
// it was then, and every page the journal saved unchanged. A recorder killed
// in the middle of a transaction (most kills) leaves it so: its pages reach
// the file only at the COMMIT. Only a kill during a COMMIT leaves it torn.
// Read from SQLite's documented journal format: a header of one sector
// (page count at the start at byte 16, sector size at 20, page size at 24,
// big-endian), then records of page number, page, checksum. Anything not
// understood counts as changed: SQLite then does the playback.
bool untouched_since_journal(int db, int journal) {
  unsigned char h[28];
  if (pread(journal, h, sizeof h, 0) != sizeof h) return false;
  uint64_t orig_pages = be32(h + 16), sector = be32(h + 20), page = be32(h + 24);
  if (sector < 32 || sector > 65536 || page < 512 || page > 65536 || (page & (page - 1)))
    return false;
  off_t db_size = lseek(db, 0, SEEK_END);
  if (db_size < 0 || static_cast<uint64_t>(db_size) != orig_pages * page) return false;
  std::string rec(page + 8, '\0'), now(page, '\0');
  for (off_t off = static_cast<off_t>(sector);; off += static_cast<off_t>(rec.size())) {
    ssize_t n = pread(journal, rec.data(), rec.size(), off);
    if (n < static_cast<ssize_t>(rec.size())) return n >= 0;  // the end (or a record cut short)
    uint64_t pgno = be32(reinterpret_cast<const unsigned char*>(rec.data()));
    if (pgno == 0 || pgno > orig_pages) return false;
    if (pread(db, now.data(), page, static_cast<off_t>((pgno - 1) * page)) != static_cast<ssize_t>(page) ||
        memcmp(now.data(), rec.data() + 4, page) != 0)
      return false;
  }
}

}  // namespace

bool is_hot_journal(const std::string& journal) {
  unique_fd fd(open(journal.c_str(), O_RDONLY | O_CLOEXEC));
  return fd && magic_at(fd.get(), 0);
}

RecoveredTrace::RecoveredTrace(const std::string& trace) : path_(trace) {
  std::string journal = trace + "-journal";
  if (!is_hot_journal(journal)) return;
  {
    unique_fd jfd(open(journal.c_str(), O_RDONLY | O_CLOEXEC));
    unique_fd dfd(open(trace.c_str(), O_RDONLY | O_CLOEXEC));
    if (!jfd || !dfd) return;  // the reader says what is wrong with the trace
    if (untouched_since_journal(dfd.get(), jfd.get())) return;
    // A journal may end with the name of a super-journal, which SQLite
    // deletes after the playback. rp never writes one (one database per
    // transaction): a journal naming one was not written by rp.
    off_t size = lseek(jfd.get(), 0, SEEK_END);
    if (size >= 16 && magic_at(jfd.get(), size - 8))
      throw Error(trace + ": not a usable rp trace (" + journal + " names another file)");
  }
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/rp-recover.XXXXXX";
  if (!mkdtemp(dir.data())) throw_errno("cannot make a directory to recover " + trace + " in");
  dir_ = dir;
  path_ = dir_ + "/trace.db";
  try {
    copy_file(trace, path_);
    copy_file(journal, path_ + "-journal");
    // The first read plays the journal back into the copy and removes it.
    sql::Db db(path_, SQLITE_OPEN_READWRITE, trace);
    db.exec("PRAGMA user_version");
    if (access((path_ + "-journal").c_str(), F_OK) == 0) throw Error("it is still there");
  } catch (const Error& e) {
    remove_copy();
    throw Error(trace + ": not a usable rp trace (its journal cannot be played back: " +
                e.what() + ")");
  }
}

RecoveredTrace::~RecoveredTrace() { remove_copy(); }

void RecoveredTrace::remove_copy() {
  if (dir_.empty()) return;
  unlink((path_ + "-journal").c_str());
  unlink(path_.c_str());
  rmdir(dir_.c_str());
  dir_.clear();
}

}  // namespace rp
