// `rp ls DIR`: the traces in a directory, like rr ls: name, recording date,
// size, backend, events, command. Traces are self-contained files, so this is
// all there is to manage (no rr pack step).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "error.h"
#include "inspect/inspect.h"
#include "trace.h"

namespace rp {
namespace {

struct Row {
  std::string name, date, size, backend, events, command;
};

Row describe(const std::filesystem::path& p) {
  Row r{p.filename().string(), "-", std::to_string(std::filesystem::file_size(p)), "-", "-", ""};
  try {
    TraceReader t(p.string());
    r.date = t.meta_or("start_time", "?");
    r.backend = t.meta_or("backend", "?");
    r.events = std::to_string(t.count("events"));
    for (const auto& a : t.list("argv")) r.command += (r.command.empty() ? "" : " ") + a;
  } catch (const std::exception& e) {
    r.command = std::string("(") + e.what() + ")";
  }
  return r;
}

}  // namespace

int ls_main(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw Error("ls: " + dir + ": " + ec.message());
  std::vector<std::filesystem::path> files;
  for (const auto& entry : it)
    if (entry.is_regular_file() && entry.path().extension() == ".db") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  printf("%-24s %-20s %10s %-7s %8s %s\n", "TRACE", "RECORDED", "BYTES", "BACKEND", "EVENTS",
         "COMMAND");
  for (const auto& f : files) {
    Row r = describe(f);
    printf("%-24s %-20s %10s %-7s %8s %s\n", r.name.c_str(), r.date.c_str(), r.size.c_str(),
           r.backend.c_str(), r.events.c_str(), r.command.c_str());
  }
  return 0;
}

}  // namespace rp
