#include "sandbox.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "error.h"
#include "syscall_table.h"

namespace rp {
namespace {

using FilterCtx = std::unique_ptr<void, decltype(&seccomp_release)>;

FilterCtx new_filter(uint32_t default_action) {
  FilterCtx ctx(seccomp_init(default_action), &seccomp_release);
  if (!ctx) throw Error("seccomp_init failed");
  return ctx;
}

void add_rule(const FilterCtx& ctx, uint32_t action, int nr, const char* name) {
  if (int rc = seccomp_rule_add(ctx.get(), action, nr, 0))
    throw Error(std::string("seccomp rule for ") + name + ": " + strerror(-rc));
}

// libseccomp writes the BPF program to an fd; the child installs it raw.
std::vector<sock_filter> export_program(const FilterCtx& ctx) {
  int fd = memfd_create("rp-seccomp", MFD_CLOEXEC);
  if (fd < 0) throw_errno("memfd_create");
  std::vector<sock_filter> prog;
  int rc = seccomp_export_bpf(ctx.get(), fd);
  off_t size = lseek(fd, 0, SEEK_END);
  if (rc == 0 && size > 0 && size % sizeof(sock_filter) == 0) {
    prog.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    if (pread(fd, prog.data(), static_cast<size_t>(size), 0) != size) prog.clear();
  }
  close(fd);
  if (prog.empty()) throw Error("cannot generate the seccomp filter");
  return prog;
}

}  // namespace

std::vector<sock_filter> enosys_filter() {
  auto ctx = new_filter(SCMP_ACT_ALLOW);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);  // other ABIs: untouched
  for (auto s = syscall_specs_begin(); s != syscall_specs_end(); ++s)
    if (s->policy == RP_POLICY_ENOSYS && syscall_nr(*s) >= 0)
      add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), syscall_nr(*s), s->name);
  return export_program(ctx);
}

int install_filter(std::vector<sock_filter>& f) {
  // Without CAP_SYS_ADMIN a filter needs no_new_privs (root recording a
  // setuid program keeps its privileges).
  sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0) return 0;
  if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : errno;
}

}  // namespace rp
