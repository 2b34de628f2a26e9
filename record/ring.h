// The flight recorder (`rp record --ring SIZE`, docs/design.md "Flight
// recorder"): the trace keeps a snapshot of the process and the events after
// it. Whenever the events written since the newest snapshot reach half the
// ring, the recorder holds the process still and takes a new snapshot
// (take_snapshot.h); the trace then starts from the one before it (everything
// older is deleted), so it holds between half and all of SIZE bytes of
// events after the snapshot it starts from.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cow_copy.h"
#include "take_snapshot.h"
#include "trace.h"

namespace rp {

enum class SaveOn { kCrash, kExit, kNever };
// "crash" | "exit" | "never"; nullopt for anything else.
std::optional<SaveOn> parse_save_on(const std::string& s);
// "256M", "1G", "65536" -> bytes; nullopt if not a size.
std::optional<uint64_t> parse_size(const std::string& s);

// The backend a --ring recording uses: ptrace for "auto", else the one asked
// for (bpf, kmod: record/ring_kernel.cc). Throws rp::Error for --name
// (`by_name`).
std::string ring_backend(const std::string& requested, bool by_name);
// SIGUSR2 asks for a save (Ring::save_next_to): until the recorder's loop
// takes it, it must not end rp (its default action).
void ignore_save_requests_until_recording();

// Whether --save-on keeps the trace of a recording that ended with wait
// status `status` (`detached`: rp let go of a process it attached to).
// crash: the program was killed by a signal. Says why on stderr if not.
bool keep_trace(SaveOn on, int status, bool detached, bool quiet);

class Ring {
 public:
  // `trace_path`: the file `w` writes (its size is sampled for meta
  // ring_max_file_bytes). `quiet`: no messages on stderr.
  Ring(TraceWriter& w, std::string trace_path, uint64_t bytes, bool quiet);
  // Whether a new snapshot is due: the trace's used pages grew by half the
  // ring since the latest one. Cheap (asks only every few calls).
  bool due();
  // The same, asked now (a kernel backend's recorder asks on a timer), with
  // `unwritten` bytes of events on their way to the trace counted in.
  bool due_now(uint64_t unwritten = 0);
  // Bytes the trace may still grow by, `unwritten` counted in, before a
  // snapshot is due (0: due).
  uint64_t bytes_until_due(uint64_t unwritten);
  // Takes the snapshot of process tgid, whose threads `tids` are all held in
  // a stop at a point the events after event `seq` continue from (registers
  // restart-normalized), then deletes what came before. Throws rp::Error.
  // `copy_reason` empty: the contents are read from a frozen copy after the
  // pause (cow_copy.h); else they are read while held, and the meta
  // snapshot_copy says "stopped: " and the reason.
  // `outputs`, `forget`: as take_snapshot's (`forget` under a kernel backend).
  void snapshot(pid_t tgid, const std::vector<pid_t>& tids, uint64_t seq,
                const OutputFiles& outputs, const std::string& copy_reason = "",
                const ForgetCopy& forget = nullptr);
  // `rp record -p --ring`: the attach's snapshot (in the snapshot* tables)
  // has its contents in the frozen copy `copy` (null: all in the tables).
  void adopt_attach_copy(std::unique_ptr<CowCopy> copy, const SnapshotStats& stats);
  // Under a kernel backend, after snapshot(): the calls take_snapshot
  // injected were recorded too, numbered after `seq` and up to `upto` (every
  // thread still held, nothing else ran). They are no part of the program's
  // run: deleted, and the snapshot stands after `upto`. `pause_us`: how long
  // the program was held, from the first stop to now.
  void forget_injected(uint64_t upto, int64_t pause_us);
  // A due snapshot cannot be taken now (`why`: a second process...): no
  // event is dropped until one can; said once on stderr and in the meta
  // (ring_unpruned: the latest reason), tried again at the next due().
  void cannot_snapshot(const std::string& why);
  // Writes the trace as it is now (the current window) to `path`, complete
  // and replayable up to its last event; the recording goes on.
  void save_copy(const std::string& path);
  // On request (SIGUSR2, rp save): save_copy to TARGET-saved-N.db next to
  // the trace's target (the first N free), and say where on stderr.
  void save_next_to(const std::string& target);
  void write_meta();  // counters
  void finish();      // before TraceWriter::finish: the newest snapshot goes
  // Before a detach: the frozen copies read and ended (reap_copies then
  // reaps those that are the process's zombies).
  void join_copies();

 private:
  struct Pending {  // the newest snapshot, in the next_snapshot* tables
    uint64_t seq = 0;
    int64_t time_ns = 0, pause_us = 0;
    SnapshotStats stats;
    // The counter_code list's length when it was taken: the sweeps before
    // are in its memory, and replay from it must not take their notes.
    int64_t code_notes = 0;
  };
  uint64_t used_bytes();
  void promote_next();
  void drop_before(uint64_t seq);
  uint64_t prune_step_bytes() const;
  void import_current(sql::Db& db);
  int64_t step_end(const char* sized_rows, int64_t from, int64_t upto);
  std::optional<Pending> next_;
  // Contents still in a frozen copy: of the snapshot the trace starts from
  // (written into it by finish and save_copy) and of the newest one.
  std::unique_ptr<CowCopy> current_copy_, next_copy_;
  SnapshotStats current_stats_;  // what was read of it while the process was held
  TraceWriter& w_;
  std::string path_;
  uint64_t bytes_;
  bool quiet_;
  uint64_t used_at_snapshot_ = 0;
  uint64_t calls_ = 0;
  int saves_ = 0;
  uint64_t snapshots_ = 0, dropped_events_ = 0, max_file_bytes_ = 0;
  std::set<std::string> told_;  // reasons cannot_snapshot gave on stderr
};

}  // namespace rp
