// seccomp filters for traced programs, generated with libseccomp. Recording
// with a kernel backend refuses the ENOSYS-policy syscalls this way.
#pragma once
#include <linux/filter.h>

#include <vector>

namespace rp {

// Generated with libseccomp in the parent (no allocation needed in the child).
std::vector<sock_filter> enosys_filter();  // ENOSYS-policy syscalls fail with ENOSYS

// In the child: installs a filter (setting no_new_privs if that is needed).
// Returns 0 or an errno.
int install_filter(std::vector<sock_filter>& f);
}  // namespace rp
