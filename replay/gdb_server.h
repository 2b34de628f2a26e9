// The GDB remote serial protocol, all-stop mode: packet framing on one
// connection, and the packets of a session dispatched to a GdbBackend.
// The program is only inspected while stopped: serve() reports a stop and
// answers gdb until it resumes the program (or leaves).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hex.h"  // to_hex, from_hex: the protocol's byte encoding

namespace rp {

// A TCP socket on 127.0.0.1; port 0 picks a free one (*bound says which).
int gdb_listen(int port, int* bound);
// The uid owning the local TCP socket connected to fd (via /proc/net/tcp):
// --gdb-port serves only its own user (and root). -1 if not found.
long tcp_peer_uid(int fd);

// -g hands gdb the connection without any rendezvous another process could
// race for: gdb runs `target remote | rp gdb-handoff N`, and that helper
// sends its stdin (gdb's end of the pipe) over fd N, one end of a
// socketpair rp made and gdb inherited. These are the two sides.
int gdb_handoff_main(int fd);  // the helper: exit status
int receive_fd(int sock);      // rp: the fd, -1 if none came

class GdbConnection {
 public:
  explicit GdbConnection(int fd) : fd_(fd) {}
  ~GdbConnection();
  GdbConnection(const GdbConnection&) = delete;
  GdbConnection& operator=(const GdbConnection&) = delete;
  // The next packet's payload (unescaped for binary packets by the caller);
  // "\x03" for an interrupt; nullopt once gdb has gone.
  std::optional<std::string> read_packet();
  void send(const std::string& payload);
  // Without blocking: did gdb send ^C? (Other input stays buffered.)
  bool interrupt_pending();
  void stop_acks() { acks_ = false; }

 private:
  bool fill(bool block);  // false at EOF (or nothing, when not blocking)
  int fd_;
  std::string in_;
  bool acks_ = true;
  bool eof_ = false;
};

struct GdbResume {
  enum Kind { kContinue, kStep, kReverseContinue, kReverseStep, kDetach, kKill, kGone };
  Kind kind = kContinue;
  pid_t tid = 0;  // kStep, kReverseStep: the thread (0: the one last stopped)
};

// What the protocol needs from the debugged program. Thread ids are the
// recorded tids.
class GdbBackend {
 public:
  virtual ~GdbBackend() = default;
  virtual std::vector<pid_t> threads() = 0;
  virtual pid_t current_thread() = 0;
  virtual std::optional<std::string> read_registers(pid_t tid) = 0;  // 'g' layout
  virtual bool write_registers(pid_t tid, const std::string& bytes) = 0;
  virtual std::string read_memory(uint64_t addr, size_t len) = 0;  // may come back short
  virtual bool write_memory(uint64_t addr, const std::string& bytes) = 0;
  // Z/z packets. insert: 1 done, 0 type not supported, -1 failed.
  virtual int insert_point(int type, uint64_t addr, int len) = 0;
  virtual bool remove_point(int type, uint64_t addr, int len) = 0;
  // A qXfer object (features, auxv, exec-file, siginfo) as a whole; nullopt: none.
  virtual std::optional<std::string> xfer(const std::string& object,
                                          const std::string& annex) = 0;
  virtual std::string monitor(const std::string& command) = 0;  // qRcmd
  // With gdb's multiprocess extensions: the recorded pid of a thread, and
  // `D;PID`. detach_process: true if nothing is debugged any more (the
  // program then runs on as with `D`); false if gdb goes on with another
  // process (a fork child it follows) or PID was not the debugged one.
  virtual pid_t process_of(pid_t tid) { return tid; }
  virtual bool detach_process(pid_t) { return true; }
  // Z/z for thread `tid` change the memory debugged here: its process is
  // the debugged one (or a vfork child, which shares its memory).
  virtual bool in_debugged_memory(pid_t tid) {
    return process_of(tid) == process_of(current_thread());
  }
};

class GdbServer {
 public:
  GdbServer(GdbConnection& conn, GdbBackend& backend) : conn_(conn), b_(backend) {}
  // Sends `stop_reply` if gdb is waiting for one (else keeps it for '?'),
  // then answers packets until gdb resumes the program.
  GdbResume serve(const std::string& stop_reply);
  // Text for gdb's console while it waits for a stop ('O' packet).
  void console(const std::string& text);
  bool interrupted() { return waiting_ && conn_.interrupt_pending(); }
  bool passes(int sig) const { return pass_signals_.count(sig) != 0; }  // a host signal
  // gdb asked for fork events (and thread ids with processes, pPID.TID).
  bool fork_events() const { return fork_events_; }
  // ... and vfork events (`vfork:` then `vforkdone:` stop replies).
  bool vfork_events() const { return vfork_events_; }
  // Whether to offer them: with them gdb also reads /proc/PID files of the
  // recorded pids on this machine and warns that it cannot, so rp offers
  // them only for traces with more than one process.
  void offer_fork_events(bool on) { offer_fork_events_ = on; }

 private:
  std::optional<GdbResume> handle(const std::string& p);
  std::string regs_packet(const std::string& p);
  std::string memory_packet(const std::string& p);
  std::string point_packet(const std::string& p);
  std::string query_packet(const std::string& p);
  std::optional<GdbResume> vcont(const std::string& p);
  pid_t thread_or_current(pid_t t);
  std::string thread_id(pid_t tid);
  std::string with_processes(const std::string& stop_reply);
  bool other_process(pid_t tid);

  GdbConnection& conn_;
  GdbBackend& b_;
  bool waiting_ = false;  // gdb resumed the program and waits for a stop reply
  std::string last_stop_;
  pid_t g_thread_ = 0, c_thread_ = 0;  // Hg / Hc (0: any)
  std::set<int> pass_signals_;
  bool multiprocess_ = false, fork_events_ = false, vfork_events_ = false;
  bool offer_fork_events_ = true;
};

// Stop replies. Thread ids in `thread:`, `fork:` and `vfork:` are tids; serve() adds
// the process (pPID.TID) when gdb uses multiprocess ids.
std::string stop_reply(int sig, pid_t tid, const std::string& reason = "");
std::string exit_reply(int wait_status);

}  // namespace rp
