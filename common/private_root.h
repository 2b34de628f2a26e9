// Filling replay's private root with the files stored in a trace. The trace
// is untrusted, so nothing may be created outside the root whatever its rows
// say: every path is checked (trace_check.h) and every file and directory is
// created by the kernel relative to a descriptor of the root, refusing
// symlinks and anything that resolves outside it (openat2 RESOLVE_BENEATH).
#pragma once
#include <string>
#include <vector>

#include "exec_files.h"

namespace rp {

// Creates `files` (with their parent directories), the directories along
// `cwd` and along `exe_path`, beneath the directory `root_fd`. Files get only
// owner permissions (replay_file_mode). Returns 0 or an errno value: EINVAL
// for a path that is not clean and absolute, EEXIST for a file stored twice,
// ELOOP/EXDEV/ENOTDIR for one that would leave the root. Does not fork; safe
// to run on any directory (tests and the fuzz target use a temporary one).
int fill_private_root(int root_fd, const std::vector<ExecFile>& files, const std::string& cwd,
                      const std::string& exe_path);

}  // namespace rp
