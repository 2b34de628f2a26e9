#include "gdb_signals.h"

#include <signal.h>

namespace rp {
namespace {

// gdb's numbers for the Linux signals below 32 (real-time ones are computed).
struct Pair {
  int host, gdb;
};
constexpr Pair kSignals[] = {
    {SIGHUP, 1},     {SIGINT, 2},     {SIGQUIT, 3},    {SIGILL, 4},    {SIGTRAP, 5},
    {SIGABRT, 6},    {SIGFPE, 8},     {SIGKILL, 9},    {SIGBUS, 10},   {SIGSEGV, 11},
    {SIGSYS, 12},    {SIGPIPE, 13},   {SIGALRM, 14},   {SIGTERM, 15},  {SIGURG, 16},
    {SIGSTOP, 17},   {SIGTSTP, 18},   {SIGCONT, 19},   {SIGCHLD, 20},  {SIGTTIN, 21},
    {SIGTTOU, 22},   {SIGIO, 23},     {SIGXCPU, 24},   {SIGXFSZ, 25},  {SIGVTALRM, 26},
    {SIGPROF, 27},   {SIGWINCH, 28},  {SIGUSR1, 30},   {SIGUSR2, 31},  {SIGPWR, 32},
};
constexpr int kGdbUnknown = 143;
// gdb's real-time numbering (Linux's go up to 64): 32 is 77, 33..63 are
// 45..75, 64 is 78.
constexpr int kGdbRt32 = 77, kGdbRt33 = 45, kGdbRt63 = 75, kGdbRt64 = 78;

}  // namespace

int gdb_signal_from_host(int sig) {
  if (sig == 0) return 0;
  for (const auto& p : kSignals)
    if (p.host == sig) return p.gdb;
  if (sig == 32) return kGdbRt32;
  if (sig >= 33 && sig <= 63) return kGdbRt33 + (sig - 33);
  if (sig == 64) return kGdbRt64;
  return kGdbUnknown;  // SIGSTKFLT, or out of range
}

int host_signal_from_gdb(int sig) {
  if (sig == 0) return 0;
  for (const auto& p : kSignals)
    if (p.gdb == sig) return p.host;
  if (sig == kGdbRt32) return 32;
  if (sig >= kGdbRt33 && sig <= kGdbRt63) return 33 + (sig - kGdbRt33);
  if (sig == kGdbRt64) return 64;
  return 0;
}

}  // namespace rp
