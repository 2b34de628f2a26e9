// A trace is untrusted input (it may come with a bug report from anyone):
// every field is checked before rp uses it. The rules live here, one
// function per kind of row, shared by TraceReader (which refuses a trace at
// the first problem) and `rp check` (which lists them all). The limits are
// documented in docs/trace-format.md, "Validation".
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace.h"

namespace rp {

// One blob, memory record or stored file (uncompressed); SQLite's own
// default bound on a value's length is about the same.
constexpr uint64_t kMaxBytes = 1ull << 30;
constexpr uint64_t kMaxStoredFilesBytes = 1ull << 30;  // all of `files` together
constexpr size_t kMaxPathLen = 4095;                    // PATH_MAX less the NUL
constexpr int64_t kMaxTid = 4194304;                    // the kernel's PID_MAX_LIMIT
constexpr uint64_t kUserAddrEnd = 1ull << 57;           // above any user-space address
constexpr size_t kMaxListEntries = 1u << 20;            // argv + env
constexpr uint64_t kMaxListBytes = 64ull << 20;
constexpr int kMaxSignal = 64;
constexpr size_t kMaxMetaText = 64 * 1024;
// Permission bits a stored file may have: no setuid/setgid/sticky, nothing
// writable by group or others.
constexpr int64_t kStoredModeMask = 0755;

// Empty if `p` is a clean absolute path ("/a/b": no empty, "." or ".."
// components, no trailing slash, no NUL, not too long); else what is wrong.
std::string path_problem(std::string_view p);
// `s` fit for a one-line message: at most `max` bytes, control bytes as '?'.
std::string printable(std::string_view s, size_t max = 200);
// The mode replay gives a stored file in its private root: the owner's read
// bit, and execute if the recording had it; nothing else.
unsigned replay_file_mode(int64_t recorded_mode);

// Each returns "" for a valid row, else a short description of the problem.
std::string event_problem(const Event& e);
std::string mem_problem(uint64_t addr, int64_t size);
std::string file_problem(const StoredFile& f);
std::string task_problem(const TaskInfo& t);
std::string mapping_problem(const Mapping& m);

// What TraceReader checks when it opens a trace (cheap, whole-trace facts:
// schema, version, meta, argv/env, tasks, files). `fatal` is set when the
// schema is not rp's, so that nothing else can be read reliably.
std::vector<std::string> check_trace_header(TraceReader& r, bool* fatal = nullptr);
// Everything else, reading every row: events in order, their memory, blobs
// against their hashes, mappings. Used by `rp check` and `rp info`.
std::vector<std::string> check_trace_rows(TraceReader& r);
// Both, for `rp check`/`rp info`. Throws rp::Error only if `path` cannot be
// opened as an SQLite database at all; `fatal` as for check_trace_header.
std::vector<std::string> check_trace(const std::string& path, bool* fatal = nullptr);

}  // namespace rp
