// The copy of a thread that replay's uniqueness check runs (point_unique.cc)
// is a process of its own made by clone, which shares the program's
// MAP_SHARED memory. Its run must write neither the program's memory nor
// another process's: its writable shared mappings are replaced, in the copy
// only, by private ones that hold the same bytes.
#pragma once
#include <sys/types.h>

#include <cstdint>

namespace rp {

// Bytes of writable shared memory a copy takes private at most (each mapping
// is read and written whole, at every checked switch); above it the point
// goes unchecked, as before.
constexpr uint64_t kMaxPrivateCopyBytes = uint64_t{8} << 20;

// `copy` is in a ptrace stop just after the syscall instruction that made
// it (its creator's clone). False if a mapping could not be replaced (too
// large, unreadable, a failed mmap): the copy must not run then.
bool make_shared_memory_private(pid_t copy);

}  // namespace rp
