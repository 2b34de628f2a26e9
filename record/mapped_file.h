// What a file mapping shows just after its mmap, kept for replay, which has
// no file and maps anonymous memory filled with these bytes (both backends:
// the ptrace recorder at the exit stop, a kernel backend at its stall).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "trace.h"
#include "tracee.h"

namespace rp {

// A hole at least this long in the mapped part of a file is left out: replay's
// anonymous memory reads zeros there, as the file's hole did.
constexpr uint64_t kMappedHoleSkip = uint64_t{1} << 20;

struct MappedFile {
  // The bytes the mapping shows, in pieces in address order: the first at the
  // mapping's start (if the file has data there), then one after each hole of
  // kMappedHoleSkip or more (SEEK_DATA/SEEK_HOLE on the mapped file). A
  // sparse 100 GiB file costs its data, not 100 GiB. Pages past the file's
  // end cannot be read and are not there; the last piece ends where the
  // readable part does (a piece of one byte after a trailing hole), which
  // is how replay tells where a mapping goes past its file's end.
  std::vector<MemRecord> pieces;
  std::string path;  // the fd's target, as /proc shows it
};

// The mapping mmap(addr, len, ..., fd, file_off) of thread tid just made
// (the whole pages it maps: a len of 2 shows the page's 4096 bytes).
MappedFile read_mapped_file(Tracee& mem, pid_t tid, int fd, uint64_t addr, uint64_t len,
                            uint64_t file_off);

}  // namespace rp
