// Writes the fuzz target's seed corpus: small valid traces (rp check says ok)
// with some of every row kind, then rewritten with 512-byte pages so each is
// a few KB. Usage: rp_make_fuzz_corpus DIR. The output is committed in
// tests/fuzz/corpus; tests/fuzz/CMakeLists.txt checks that it is still valid.
#include <sqlite3.h>

#include <cstdio>
#include <string>

#include "snapshot.h"
#include "trace.h"
#include "trace_check.h"

using namespace rp;

namespace {

Event syscall_event(uint64_t seq, int64_t nr, int64_t ret) {
  Event e;
  e.seq = seq;
  e.entry_seq = seq > 1 ? seq - 1 : 0;
  e.tid = 100;
  e.nr = nr;
  e.ret = ret;
  return e;
}

void write_trace(const std::string& path, int variant) {
  {
    TraceWriter w(path);
    w.set_meta("exe_path", "/bin/prog");
    w.set_meta("cwd", "/home/u");
    w.set_meta("arch", "x86_64");
    w.set_meta("stack_limit", int64_t{8 << 20});
    w.set_meta("exit_status", int64_t{0});
    w.set_meta("exit_code", int64_t{0});
    w.set_list("argv", {"prog", "-v"});
    w.set_list("env", {"A=1"});
    w.add_task(TaskInfo{100, 100, 1, 1, std::nullopt});
    w.add_file("/bin/prog", "#!/lib/sh\necho hi\n", 0755);
    if (variant > 0) w.add_file("/lib/sh", std::string(600, 'x'), 0755);  // a blob
    if (variant == 3) {  // an attach recording: a snapshot instead of the execve
      w.set_meta("mode", "attach");
      w.set_meta("replayable", int64_t{1});
      Snapshot snap;
      snap.maps.push_back(SnapMap{0x400000, 8192, 5, false, 0, "/bin/prog"});
      snap.threads.push_back(SnapThread{100, std::string(kSnapshotRegsBytes, '\0'),
                                        std::string(512, '\0'), 0, ""});
      snap.sigactions.push_back(SnapSigaction{10, std::string(kSigactionBytes, '\1')});
      for (size_t i = 0; i < kSnapshotAddrKeyCount; i++) snap.values[kSnapshotAddrKeys[i]] = 0x401000;
      snap.auxv = std::string(32, '\0');
      write_snapshot(w, snap);
      write_snapshot_chunk(w, 0x400000, std::string(4096, 'x'));
    } else {
      Event exec = syscall_event(1, 59, 0);
      exec.mem.push_back({0x7ffff000, std::string(16, 'r'), false});
      w.add_event(exec);
    }
    Event rd = syscall_event(3, 0, 4);
    rd.mem.push_back({0x1000, "abcd", false});
    if (variant > 0) rd.mem.push_back({0x2000, std::string(1000, 'z'), false});
    w.add_event(rd);
    if (variant > 1) {
      Event sig;
      sig.seq = 4;
      sig.tid = 100;
      sig.kind = EventKind::kSignal;
      sig.nr = 14;
      sig.extra.assign(sizeof(SignalExtra), '\0');
      w.add_event(sig);
      Event insn;
      insn.seq = 5;
      insn.tid = 100;
      insn.kind = EventKind::kInsn;
      insn.nr = 1;
      w.add_event(insn);
      w.add_mapping(Mapping{3, 100, 0x400000, 4096, 5, 2, 0, "/bin/prog", 0});
    }
    Event ex = syscall_event(variant > 1 ? 7 : 5, 231, 0);
    w.add_event(ex);
    Event end;
    end.seq = variant > 1 ? 8 : 6;
    end.tid = 100;
    end.kind = EventKind::kTaskExit;
    w.add_event(end);
    w.set_task_exit(100, 0);
    w.finish();
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;", nullptr,
                   nullptr, nullptr) != SQLITE_OK) {
    fprintf(stderr, "make_corpus: %s\n", sqlite3_errmsg(db));
    exit(1);
  }
  sqlite3_close(db);
  auto problems = check_trace(path);
  for (const auto& p : problems) fprintf(stderr, "make_corpus: %s: %s\n", path.c_str(), p.c_str());
  if (!problems.empty()) exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  for (int v = 0; v < 4; v++) write_trace(std::string(argv[1]) + "/seed" + std::to_string(v), v);
  return 0;
}
