// rp dump -k: where a library's separate debug file (Debian's -dbgsym and
// -dbg packages) lives under a host debug directory such as /usr/lib/debug.
// The build id and the debuglink name come from the replayed memory or a file
// the trace stored: untrusted, so each path is built only from checked parts,
// relative to the debug directory, and opened beneath it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace rp {

// ".build-id/xx/yyyy.debug" for a build id of a sane length (2 to 64 bytes),
// the way gdb and elfutils name it; nullopt otherwise.
std::optional<std::string> build_id_debug_path(const unsigned char* id, size_t len);

// "DIR/NAME" (no leading '/') for a module at the absolute path "/DIR/FILE"
// whose .gnu_debuglink names NAME: nullopt unless NAME is a plain file name
// and the module's path is absolute with no "." or ".." component.
std::optional<std::string> debuglink_debug_path(const std::string& module_path,
                                                const std::string& link);

// How a debug file is resolved beneath its debug directory: symlinks are
// allowed as long as they stay beneath it (a .build-id link points into the
// directory); ".." or an absolute link out of it fails (openat2's EXDEV).
uint64_t debug_dir_resolve();

// A regular file at `rel` beneath the directory `dir_fd`, read-only, resolved
// by the kernel with `resolve` (openat2's RESOLVE_* flags); -1 if none. A
// device or fifo is refused too: reading one could block.
int open_regular_beneath(int dir_fd, const std::string& rel, uint64_t resolve);

}  // namespace rp
