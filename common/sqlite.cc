#include "sqlite.h"

#include <cctype>

#include "error.h"

namespace rp::sql {

namespace {

// A read-only database is opened as an immutable URI: SQLite then takes no
// locks and creates no -journal, -wal or -shm file beside it. Without this a
// trace whose header claims WAL mode makes even a read-only open create
// t.db-wal and t.db-shm next to the trace, outside replay's sandbox.
std::string immutable_uri(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  // An absolute path gets an empty authority, so "//x" is not read as host x.
  std::string uri = path.starts_with('/') ? "file://" : "file:";
  for (unsigned char c : path) {
    if (isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri + "?immutable=1";
}

}  // namespace

Db::Db(const std::string& path, int flags, const std::string& name)
    : path_(name.empty() ? path : name) {
  // No allocation statistics (nothing reads them): without them SQLite's
  // malloc takes no global mutex. Only possible before its first use.
  static const int no_memstatus [[maybe_unused]] = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  bool read_only = flags & SQLITE_OPEN_READONLY;
  std::string uri = read_only ? immutable_uri(path) : path;
  // A reader is used by one thread at a time (rp replay, dump, gdb): without
  // the connection's mutex every sqlite3_column_* call is cheaper, which is
  // most of reading an event (replay reads one per recorded event).
  if (read_only) flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(uri.c_str(), &db_, read_only ? flags | SQLITE_OPEN_URI : flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(path_ + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  if (flags & SQLITE_OPEN_READONLY) {
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_VIEW, 0, nullptr);
    sqlite3_limit(db_, SQLITE_LIMIT_ATTACHED, 0);
  }
}

Db::~Db() { sqlite3_close(db_); }

void Db::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error(path_ + ": " + msg);
  }
}

Stmt::Stmt(Db& db, const char* sql) : db_(db) {
  if (sqlite3_prepare_v2(db.get(), sql, -1, &st_, nullptr) != SQLITE_OK)
    throw Error(db.path() + ": " + sqlite3_errmsg(db.get()));
}

Stmt::~Stmt() { sqlite3_finalize(st_); }

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view t) {
  sqlite3_bind_text(st_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_blob(int i, const void* p, size_t n) {
  sqlite3_bind_blob64(st_, i, p ? p : "", n, SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = sqlite3_errmsg(db_.get());
  sqlite3_reset(st_);
  throw Error(db_.path() + ": " + msg);
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

bool Stmt::is_null(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
bool Stmt::is_integer(int c) const { return sqlite3_column_type(st_, c) == SQLITE_INTEGER; }
int64_t Stmt::i64(int c) const { return sqlite3_column_int64(st_, c); }
int Stmt::typed_i64(int c, int64_t* v) const {
  sqlite3_value* x = sqlite3_column_value(st_, c);
  int type = sqlite3_value_type(x);
  if (type == SQLITE_INTEGER) *v = sqlite3_value_int64(x);
  return type;
}
std::string Stmt::text(int c) const {
  auto p = sqlite3_column_text(st_, c);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, c)) : "";
}
std::string Stmt::blob(int c) const {
  auto p = static_cast<const char*>(sqlite3_column_blob(st_, c));
  return p ? std::string(p, sqlite3_column_bytes(st_, c)) : "";
}

}  // namespace rp::sql
