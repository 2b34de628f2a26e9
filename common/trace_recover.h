// A recording killed in the middle of a COMMIT leaves its trace torn (some of
// the transaction's pages written, some not) and, beside it, the hot rollback
// journal TRACE-journal holding the pages as of the last completed commit
// (TraceWriter writes one to disk for this). A trace is read-only input, and
// the reader opens it immutable, which ignores journals. So when a hot
// journal is there, the trace and its journal are copied into a private
// directory, SQLite rolls the copy back, and the reader opens the copy: the
// trace as of its last commit, "cut short". The user's files are never
// written; the copy is removed when the reader is done with it (or fails).
#pragma once
#include <string>

namespace rp {

class RecoveredTrace {
 public:
  // Leaves path() == `trace` when there is no hot journal. Throws rp::Error
  // when there is one that cannot be used.
  explicit RecoveredTrace(const std::string& trace);
  ~RecoveredTrace();  // removes the private copy
  RecoveredTrace(const RecoveredTrace&) = delete;
  RecoveredTrace& operator=(const RecoveredTrace&) = delete;

  // What to open: the trace itself, or its rolled-back private copy.
  const std::string& path() const { return path_; }

 private:
  void remove_copy();
  std::string path_, dir_;
};

// Whether the file at `journal` is a rollback journal that SQLite would play
// back (it starts with the journal magic; a finished COMMIT removes it).
bool is_hot_journal(const std::string& journal);

}  // namespace rp
