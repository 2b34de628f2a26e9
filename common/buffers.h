// Where a syscall's buffers are, from its table entry, its arguments, its
// result and (for in/out lengths) values read at entry: common/rp_rules.h in
// its C++ environment, for every user-space consumer (the eBPF program and the
// kernel module compile the same header in theirs).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "rp_abi.h"
#include "syscall_table.h"

namespace rp {

struct Region {
  uint64_t addr = 0;
  uint64_t len = 0;
};

// Reads an unsigned integer of `size` bytes (4 or 8) from tracee memory.
using WordReader = std::function<std::optional<uint64_t>(uint64_t addr, int size)>;

// Values some outputs need from syscall entry (in/out lengths).
struct EntryLens {
  uint32_t len[2] = {0, 0};
};

EntryLens entry_lens(const SyscallSpec& s, const uint64_t args[6], const WordReader& rd);

// What only the kernel knows about some outputs: how many semaphores a
// System V set has (semctl GETALL), which way a descriptor goes (vmsplice).
// The recorder asks the kernel; without it, such an output is left out.
struct KernelFacts {
  std::function<std::optional<uint64_t>(uint64_t semid)> sem_nsems;
  // Whether the thread's fd is open for reading (vmsplice's direction).
  std::function<bool(uint64_t fd)> fd_reads;
  // Where the file's bytes end in the thread's mapping at addr, 0 if it maps
  // no file (a grown mremap's bytes).
  std::function<uint64_t(uint64_t addr)> file_end;
  // The key and value bytes of the thread's bpf map fd (a lookup's output);
  // false if fd is no map.
  std::function<bool(uint64_t fd, uint64_t* key, uint64_t* value)> bpf_map;
};

// The table entry that describes a recorded call's buffers: its own, or for
// a restart_syscall the call it continued (rp_buffers_nr, rp_abi.h).
int64_t buffers_nr(int64_t nr, const uint64_t args[6]);
// rp_restart_note and rp_restart_args (rp_abi.h) on the recorder's words.
void restart_note(rp_restart& r, int64_t nr, const uint64_t args[6], int64_t ret);
void restart_args(const rp_restart& r, uint64_t args[6]);
const SyscallSpec* buffers_spec(int64_t nr, const uint64_t args[6]);

// Regions the kernel wrote. Empty regions are omitted.
std::vector<Region> output_regions(const SyscallSpec& s, const uint64_t args[6], int64_t ret,
                                   const EntryLens& lens, const WordReader& rd,
                                   const KernelFacts* facts = nullptr);

// Regions the syscall read from (the data a write-like syscall sends).
std::vector<Region> input_regions(const SyscallSpec& s, const uint64_t args[6],
                                  const WordReader& rd);

// A raw syscall result that is an errno (-4095..-1).
bool syscall_failed(int64_t ret);

// A successful mmap of a file: its bytes are recorded (replay has no file).
bool is_file_mmap(const SyscallSpec* s, const uint64_t args[6], int64_t ret);

// Where the kernel's random bytes (AT_RANDOM: stack protector and pointer
// guard seeds) are in a thread's new image after execve, from /proc/TID/auxv.
std::optional<Region> at_random_region(int tid);

// Output size of an ioctl request, 0 if it writes nothing rp knows of.
// `known` is false for requests rp cannot size at all.
uint64_t ioctl_output_size(uint64_t request, bool* known);

}  // namespace rp
