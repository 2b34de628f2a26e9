// libFuzzer target: the bytes are a trace file (SQLite). Everything replay
// does with a trace before it starts the program runs here — open and
// validate, rp check, read every event with its memory, tasks, mappings,
// build the LaunchSpec and fill a private root in a scratch directory — and
// must end in rp::Error or success, never a crash, a sanitizer report, another
// exception, or a file outside the root.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "error.h"
#include "private_root.h"
#include "replay_spec.h"
#include "snapshot.h"
#include "trace.h"
#include "trace_check.h"

namespace fs = std::filesystem;

namespace {

// One scratch directory per fuzzing process, removed at exit.
struct Scratch {
  Scratch() {
    const char* tmp = getenv("TMPDIR");
    dir = std::string(tmp ? tmp : "/tmp") + "/rp-fuzz-XXXXXX";
    if (!mkdtemp(dir.data())) abort();
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string dir;
};

const std::string& scratch() {
  static Scratch s;
  return s.dir;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f || fwrite(data, 1, size, f) != size) abort();
  fclose(f);
}

void fill_root(const rp::LaunchSpec& spec) {
  std::string root = scratch() + "/root";
  fs::remove_all(root);
  if (mkdir(root.c_str(), 0700) != 0) abort();
  int fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) abort();
  rp::fill_private_root(fd, spec.root_files, spec.cwd, spec.exe_path);
  close(fd);
  // Only the trace and the root may exist in the scratch directory.
  for (const auto& e : fs::directory_iterator(scratch())) {
    std::string name = e.path().filename();
    if (name != "t.db" && name != "root") {
      fprintf(stderr, "trace_fuzzer: fill_private_root created %s outside the root\n",
              e.path().c_str());
      abort();
    }
  }
  fs::remove_all(root);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = scratch() + "/t.db";
  write_file(path, data, size);
  try {
    rp::check_trace(path);
  } catch (const rp::Error&) {
  }
  try {
    rp::TraceReader r(path);
    rp::Event e;
    while (r.next(e)) {
    }
    uint64_t entry_seq, seq;
    int32_t tid;
    while (r.next_entry(entry_seq, tid, seq)) {
    }
    r.tasks();
    r.mappings();
    if (rp::has_snapshot(r)) {  // what restore reads, blobs included
      rp::Snapshot snap = rp::read_snapshot(r);
      for (const auto& c : snap.chunks) r.blob(c.blob);
    }
    fill_root(rp::replay_launch_spec(r));
  } catch (const rp::Error&) {
  }
  return 0;
}
