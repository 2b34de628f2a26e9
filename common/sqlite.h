// A thin RAII layer over SQLite's C API; every failure becomes rp::Error.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace rp::sql {

class Db {
 public:
  // A database opened read-only is treated as untrusted input: defensive
  // mode, no trusted schema (no functions with side effects from views or
  // triggers), bounded value lengths.
  // `name`: the file as messages call it (default: `path`).
  Db(const std::string& path, int flags, const std::string& name = "");
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  void exec(const char* sql);
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }
  int64_t last_rowid() const { return sqlite3_last_insert_rowid(db_); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Stmt {
 public:
  Stmt(Db& db, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind_blob(int i, const void* p, size_t n);
  Stmt& bind_null(int i);
  bool step();  // true: a row is ready
  void run();   // step to completion, then reset for reuse
  void reset();

  bool is_null(int col) const;
  bool is_integer(int col) const;  // stored as INTEGER (a trace is untrusted: types are checked)
  int64_t i64(int col) const;
  // The column's storage class (SQLITE_INTEGER, SQLITE_NULL...) and, for an
  // integer, its value in *v: one API call instead of two for readers that
  // check every column's type (a trace's events).
  int typed_i64(int col, int64_t* v) const;
  std::string text(int col) const;
  std::string blob(int col) const;

 private:
  Db& db_;
  sqlite3_stmt* st_ = nullptr;
};

}  // namespace rp::sql
