// rp: record a program's syscalls into one SQLite file, replay them exactly.
#include <signal.h>
#include <sys/stat.h>

#include <boost/program_options.hpp>
#include <cstring>
#include <fstream>
#include <iostream>

#include "error.h"
#include "gdb_server.h"
#include "gdb_target.h"
#include "inspect/inspect.h"
#include "launch.h"
#include "record.h"
#include "render.h"
#include "replayer.h"
#include "ring.h"
#include "trace.h"
#include "trace_check.h"

namespace po = boost::program_options;
using namespace rp;

namespace {

constexpr int kOwnFailure = 125;  // like env/timeout: rp itself failed
constexpr int kNotFound = 127;

const char* kUsage =
    "usage: rp <command> [options]\n"
    "\n"
    "commands:\n"
    "  record [-o TRACE] [--backend B] [--] PROGRAM [ARGS...]   record a run\n"
    "  record -p PID [--backend B] [-o TRACE]                   attach: replayable, from a snapshot\n"
    "  record --name COMM [--backend auto|bpf|kmod]             capture only (not replayable)\n"
    "  record --ring SIZE [--save-on crash|exit|never] (-p PID | -- PROGRAM...)\n"
    "                          flight recorder: keep the last SIZE of events (any backend)\n"
    "  save RP_PID                                              a --ring recording writes its\n"
    "                          current window next to its trace (as kill -USR2 RP_PID)\n"
    "  replay [-q] TRACE                                        replay it exactly\n"
    "  replay -g [-x FILE] [--goto N] TRACE                     debug the replay in gdb\n"
    "  replay -p PID | -f PID TRACE                             debug one process of it in gdb\n"
    "  dump [-f] [-k] [-t|-tt|-ttt] [-r] [-T] [-e EXPR] [-s N] [--json] [-p TID] TRACE\n"
    "                          list its events like strace\n"
    "  ps TRACE                                                 list its processes\n"
    "  ls [DIR]                                                 list the traces in a directory\n"
    "  timeline TRACE -o FILE.json                              Perfetto/Chrome trace of it\n"
    "  info TRACE                                               describe a trace\n"
    "  check TRACE                                              validate every field of a trace\n"
    "\n"
    "rp COMMAND --help for a command's options; rp --version\n";

std::vector<std::string> args_of(int argc, char** argv, int from) {
  return std::vector<std::string>(argv + from, argv + argc);
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& opts,
                        const po::positional_options_description& pos) {
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  return vm;
}

// A command-line mistake: reported in one `rp:` line, exit 125 (docs/user-guide.md).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Boost's parser takes options anywhere; rp record's end at the program's
// name. Called first on what is left of the command line: from a token that
// is not an option on, everything is the program and its arguments.
std::vector<po::option> program_and_rest(std::vector<std::string>& rest) {
  std::vector<po::option> out;
  if (rest.empty() || (rest[0].size() > 1 && rest[0][0] == '-')) return out;  // an option, or "--"
  for (const auto& a : rest) {
    po::option o;
    o.value.push_back(a);
    o.original_tokens.push_back(a);
    o.position_key = static_cast<int>(out.size());
    out.push_back(std::move(o));
  }
  rest.clear();
  return out;
}

// Exactly one of: a program, -p PID, --name COMM.
void check_what_to_record(const po::variables_map& vm, const RecordOptions& ro) {
  bool running = vm.count("pid") || vm.count("name");
  if (running && !ro.argv.empty())
    throw UsageError("record: -p/--name record running processes: give no program too ('" +
                     ro.argv[0] + "')");
  if (vm.count("pid") && vm.count("name"))
    throw UsageError("record: -p and --name exclude each other");
  if (vm.count("pid") && ro.attach_pid <= 0)
    throw UsageError("record: -p needs a process id > 0, not " + std::to_string(ro.attach_pid));
  if (!running && ro.argv.empty())
    throw UsageError("record: no program given (rp record [options] [--] PROGRAM [ARGS...])");
}

int cmd_record(const std::vector<std::string>& args) {
  po::options_description opts("rp record [options] [--] PROGRAM [ARGS...]");
  RecordOptions ro;
  opts.add_options()("help,h", "show this help")(
      "output,o", po::value(&ro.output), "trace file to write (default: rp-PROGRAM-N.db)")(
      "backend,b", po::value(&ro.backend)->default_value("auto"),
      "capture backend: auto, ptrace, bpf, kmod (docs/backends.md)")(
      "pid,p", po::value(&ro.attach_pid),
      "record a running process instead (and its new threads and children), with any "
      "backend: replayable from a snapshot taken at the attach; Ctrl-C detaches")(
      "name", po::value(&ro.comm),
      "record every process with this command name instead (kernel backends only; inspect "
      "only, not replayable)")(
      "share", po::bool_switch(&ro.share),
      "create the trace readable by others (0666 minus umask; default 0600: it holds the "
      "environment and everything the program read)")(
      "ring", po::value<std::string>(),
      "flight recorder: keep about the last SIZE bytes of events (e.g. 64M), from periodic "
      "snapshots; with -p or a program, any backend (--backend=bpf is the cheap one; auto "
      "means ptrace here)")(
      "save-on", po::value(&ro.save_on),
      "with --ring, when the trace is kept: crash (default: the program was killed by a "
      "signal), exit (always), never (only windows saved with SIGUSR2 / rp save)")(
      "end-with-program", po::bool_switch(&ro.end_with_program),
      "end the recording when the program exits (as rr record without --wait): the processes "
      "it left running are killed (SIGKILL) and the trace records their deaths; by default rp "
      "records until the last process of the tree exits")(
      "quiet,q", po::bool_switch(&ro.quiet), "no messages from rp");
  // rp's options come from `opts` alone (which take a value, bundles like
  // -qo, --opt=value); they end at "--" or at the program: its own options
  // are not rp's.
  auto parsed =
      po::command_line_parser(args).options(opts).extra_style_parser(program_and_rest).run();
  po::variables_map vm;
  po::store(parsed, vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << opts << "\nExits with the program's status (128+N if signal N killed it).\n";
    return 0;
  }
  ro.argv = po::collect_unrecognized(parsed.options, po::include_positional);
  check_what_to_record(vm, ro);
  if (vm.count("ring")) {
    auto bytes = parse_size(vm["ring"].as<std::string>());
    if (!bytes || *bytes < (64u << 10))
      throw UsageError("record: --ring needs a size of at least 64K (e.g. 64M), not '" +
                       vm["ring"].as<std::string>() + "'");
    ro.ring_bytes = *bytes;
  }
  if (ro.end_with_program && ro.argv.empty())
    throw UsageError("record: --end-with-program goes with a program rp starts, not -p or --name");
  if (vm.count("save-on") && !parse_save_on(ro.save_on))
    throw UsageError("record: --save-on is crash, exit or never, not '" + ro.save_on + "'");
  if (vm.count("save-on") && !ro.ring_bytes)
    throw UsageError("record: --save-on goes with --ring (without it the trace is always kept)");
  return record_main(ro);
}

int cmd_replay(const std::vector<std::string>& args) {
  po::options_description opts("rp replay [options] TRACE");
  ReplayOptions ro;
  GdbOptions go;
  bool autopilot = false;  // rr's spelling of "no debugger", rp's default
  opts.add_options()("help,h", "show this help")(
      "autopilot,a", po::bool_switch(&autopilot), "no debugger (rr's -a; the default)")(
      "quiet,q", po::bool_switch(&ro.quiet), "do not print the program's output")(
      "gdb,g", po::bool_switch(&go.spawn), "debug the replay: start gdb connected to it")(
      "gdb-script,x", po::value(&go.scripts)->composing(), "with -g: gdb command file (-x)")(
      "gdb-port", po::value(&go.port),
      "debug the replay: wait for gdb on this TCP port of 127.0.0.1 (this user only)")(
      "goto", po::value(&go.goto_event), "with gdb: first stop before this event (rp dump)")(
      "process,p", po::value(&go.process),
      "debug process PID (rp ps) in gdb, from its first exec (or its start)")(
      "onfork,f", po::value<pid_t>(), "debug process PID in gdb, from where it is forked")(
      "trace", po::value(&ro.trace), "trace file");
  po::positional_options_description pos;
  pos.add("trace", 1);
  auto vm = parse(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << "\nExits with the replayed run's status; 125 if replay fails."
              << "\nWith -g, exits with gdb's status (docs/debugging.md).\n";
    return 0;
  }
  if (ro.trace.empty()) throw UsageError("replay: no trace given (rp replay [options] TRACE)");
  if (vm.count("onfork")) {
    if (vm.count("process")) throw UsageError("replay: -p and -f both name the process");
    go.process = vm["onfork"].as<pid_t>();
    go.on_fork = true;
  }
  if ((vm.count("process") || vm.count("onfork")) && go.process <= 0)
    throw UsageError("replay: -p/-f need a process id");
  bool debug_options = go.spawn || go.port >= 0 || !go.scripts.empty() || vm.count("goto") ||
                       go.process;
  if (autopilot && debug_options)
    throw Error("replay: -a (no debugger) conflicts with the gdb options");
  if (go.process && vm.count("goto")) throw UsageError("replay: --goto conflicts with -p/-f");
  if (!go.scripts.empty() && !go.spawn && go.port < 0) go.spawn = true;
  if ((vm.count("goto") || go.process) && go.port < 0) go.spawn = true;
  if (go.spawn || go.port >= 0) {
    if (const char* g = getenv("RP_GDB")) go.gdb = g;
    return gdb_replay_main(ro, go);
  }
  return replay_main(ro);
}

int cmd_dump(const std::vector<std::string>& args) {
  po::options_description opts("rp dump [options] TRACE");
  DumpOptions o;
  opts.add_options()("help,h", "show this help")(
      "data,d", po::bool_switch(&o.data), "show every byte of recorded buffers, in hex")(
      "tid,p", po::value(&o.tid), "only this thread")(
      "relative-timestamps,r", po::bool_switch(&o.relative),
      "strace -r: time since the previous line's, before each line")(
      "syscall-times,T", po::bool_switch(&o.durations),
      "strace -T: time spent in each syscall, <s.us> at the end of its line")(
      "expr,e", po::value(&o.exprs)->composing(),
      "strace's -e: trace=SET (names and classes: %file %network %process %signal "
      "%desc %memory %ipc %creds %clock; !SET negates), read=FD,... (hex dump of the "
      "data read), write=FD,...")(
      "string-limit,s", po::value(&o.string_limit)->default_value(32),
      "longest data string shown (strace -s)")(
      "follow-forks,f", po::bool_switch(&o.strace_lines),
      "strace -f lines: \"[pid N]\" prefix once there are several tasks, no event numbers")(
      "json", po::bool_switch(&o.json), "one JSON object per event")(
      "stack-trace,k", po::bool_switch(&o.stacks),
      "strace -k: the stack at each syscall (function, file:line), found by replaying the trace")(
      "debug-dir", po::value(&o.debug_dirs)->composing(),
      "with -k: a directory of separate debug files (by build id, like gdb's "
      "debug-file-directory); repeatable; default /usr/lib/debug")(
      "trace", po::value(&o.trace), "trace file");
  po::positional_options_description pos;
  pos.add("trace", 1);
  // strace's -t, -tt, -ttt (a count, which the option parser cannot give).
  std::vector<std::string> rest;
  for (const auto& a : args) {
    if (a == "-t" || a == "-tt" || a == "-ttt")
      o.timestamps = std::min(3, o.timestamps + static_cast<int>(a.size()) - 1);
    else
      rest.push_back(a);
  }
  auto vm = parse(rest, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << "  -t, -tt, -ttt           strace -t: wall-clock time of each call "
                         "(hh:mm:ss; .us; seconds since the epoch.us)\n";
    return 0;
  }
  if (o.trace.empty()) throw UsageError("dump: no trace given (rp dump [options] TRACE)");
  if (!o.debug_dirs.empty() && !o.stacks) throw UsageError("dump: --debug-dir needs -k");
  return dump_main(o);
}

// Commands that take just a trace: ps, info, check.
int cmd_trace_only(const std::vector<std::string>& args, const char* usage,
                   int (*run)(const std::string&), const char* epilogue = "") {
  po::options_description opts(usage);
  std::string path;
  opts.add_options()("help,h", "show this help")("trace", po::value(&path), "trace file");
  po::positional_options_description pos;
  pos.add("trace", 1);
  auto vm = parse(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << epilogue;
    return 0;
  }
  if (path.empty()) throw UsageError(std::string("no trace given (") + usage + ")");
  return run(path);
}

int cmd_ls(const std::vector<std::string>& args) {
  po::options_description opts("rp ls [DIR]");
  std::string dir = ".";
  opts.add_options()("help,h", "show this help")("dir", po::value(&dir), "directory (default: .)");
  po::positional_options_description pos;
  pos.add("dir", 1);
  auto vm = parse(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  return ls_main(dir);
}

int cmd_timeline(const std::vector<std::string>& args) {
  po::options_description opts("rp timeline TRACE -o FILE.json");
  std::string path, output;
  opts.add_options()("help,h", "show this help")(
      "output,o", po::value(&output), "JSON file to write (open it in ui.perfetto.dev)")(
      "trace", po::value(&path), "trace file");
  po::positional_options_description pos;
  pos.add("trace", 1);
  auto vm = parse(args, opts, pos);
  if (vm.count("help")) {
    std::cout << opts << "\nTime is the trace's event order (one event = 1 us), not wall time.\n";
    return 0;
  }
  if (path.empty() || output.empty())
    throw UsageError("timeline: needs a trace and -o FILE.json (rp timeline TRACE -o FILE.json)");
  return timeline_main(path, output);
}

// What rp took after the program's exit to finish the trace, where the
// trace says (older traces count it in duration_ms).
std::string finish_text(TraceReader& r) {
  auto ms = r.meta("finish_ms");
  if (!ms) return " (including writing the trace)";
  return ", then " + printable(*ms, 32) + " ms to finish writing the trace";
}

// Traces of rp record -p may not know how the process ended: never say 0 then.
std::string exit_text(TraceReader& r) {
  auto st = r.meta("exit_status");
  if (!st) return "unknown (not observed)";
  char* end = nullptr;
  long long v = strtoll(st->c_str(), &end, 10);
  // Its value is listed among the problems (rp check); never echo raw bytes.
  if (st->empty() || *end || v < 0 || v > 0xffff) return "damaged";
  return render_wait_status(v);
}

int info_main(const std::string& path) {
  // The same validation as rp check: a crafted trace is never called healthy.
  // Only a trace whose schema or version is not rp's is refused outright.
  bool fatal = false;
  auto problems = check_trace(path, &fatal);
  if (fatal) throw Error(path + ": " + problems[0]);
  TraceReader r(path, false);
  auto argv = r.list("argv");
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + printable(a, kMaxPathLen);
  struct stat st {};
  stat(path.c_str(), &st);
  auto m = [&](const char* k) { return printable(r.meta_or(k, "?"), kMaxPathLen); };
  std::cout << "trace:          " << path << " (" << st.st_size << " bytes, format "
            << m("format_version") << ")\n"
            << "command:        " << cmd << "\n"
            << "executable:     " << m("exe_path") << " (xxh128 " << m("exe_hash") << ")\n"
            << "cwd:            " << m("cwd") << "\n"
            << "recorded:       " << m("start_time") << " on " << m("host") << ", "
            << m("duration_ms") << " ms" << finish_text(r) << "\n"
            << "kernel:         " << m("kernel") << "\n"
            << "arch:           " << m("arch") << "\n"
            << "backend:        " << m("backend") << "\n"
            << "exit:           " << exit_text(r) << "\n"
            << "events:         " << r.count("events") << "\n"
            << "tasks:          " << r.count("tasks") << "\n"
            << "memory records: " << r.count("mem") << "\n"
            << "blobs:          " << r.count("blobs") << "\n"
            << "mappings:       " << r.count("mappings") << "\n"
            << "switches:       " << switches_text(r) << "\n"
            << "lost records:   " << m("lost_records") << "\n";
  if (r.meta("unreadable_regions"))  // output buffers rp read from the stopped program
    std::cout << "memory reads:   " << m("unreadable_regions") << " unreadable regions, "
              << m("short_reads") << " short reads\n";
  std::cout << "unknown syscalls: " << m("unknown_syscalls")
            << ", unknown ioctls: " << m("unknown_ioctls") << "\n";
  if (auto refused = RefusedCalls::parse(r.meta_or("refused_calls", "")))  // common/refused_calls.h
    std::cout << "refused calls:  " << refused->text()
              << " (rp answers them ENOSYS while recording)\n";
  if (r.meta_or("rdtsc_patched", "0") == "1")
    std::cout << "rdtsc:          not trapped on the recording machine; patched in the program's "
                 "code (reads in code generated at run time were not recorded)\n";
  else if (r.meta_or("rdtsc_trapped", "1") == "0")
    std::cout << "rdtsc:          not trapped on the recording machine (its reads were not recorded)\n";
  if (r.meta("cpuid_trapped"))  // x86_64 recordings since cpuid faulting (common/cpuid_trap.h)
    std::cout << "cpuid:          "
              << (r.meta_or("cpuid_trapped", "0") == "1"
                      ? "answered by rp and recorded (RDRAND, RDSEED, HLE, RTM hidden); replay "
                        "needs a machine with CPUID faulting\n"
                      : "not trapped (the program's cpuid ran on the CPU and was not recorded)\n");
  if (r.meta("kernel_records"))  // kernel backends (docs/backends.md)
    std::cout << "kernel capture: " << m("kernel_records") << " records, " << m("kernel_stalls")
              << " stalls (ring full " << m("kernel_ring_full") << ", copy faults "
              << m("kernel_copy_faults") << "), " << m("kernel_assisted")
              << " completed from user space, " << m("kernel_data_missing")
              << " with data missing, " << m("kernel_malformed") << " malformed, "
              << m("kernel_spilled_bytes") << " bytes through the spill file\n";
  std::cout << snapshot_info_text(r);
  if (r.meta_or("replayable", "1") == "0")
    std::cout << "replayable:     no (recorded with --name, or -p by an older rp: no state from before)\n";
  if (problems.empty()) {
    std::cout << "healthy:        yes\n";
    return 0;
  }
  std::cout << "healthy:        no (" << problems.size() << " problems; rp check)\n";
  std::cerr << "rp: " << path << ": " << problems[0]
            << (problems.size() > 1 ? " (and more: rp check)" : "") << "\n";
  return 1;
}

// rp save RP_PID: only to an rp process (its comm), which saves on SIGUSR2.
int save_main(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].find_first_not_of("0123456789") != std::string::npos ||
      args[0].size() > 9 || std::stol(args[0]) <= 0)
    throw UsageError("save: give the process id of a running `rp record --ring` (rp save RP_PID)");
  pid_t pid = static_cast<pid_t>(std::stol(args[0]));
  std::ifstream comm("/proc/" + args[0] + "/comm");
  std::string name;
  std::getline(comm, name);
  if (name != "rp")
    throw Error("save: process " + args[0] + " is not rp" +
                (name.empty() ? std::string(" (no such process)") : " (it is " + name + ")"));
  if (kill(pid, SIGUSR2) != 0)
    throw Error("save: cannot signal process " + args[0] + ": " + strerror(errno));
  std::cerr << "rp: asked rp " << pid << " to save its window (it prints the file name)\n";
  return 0;
}

// rp check: every problem of a trace, one line each (trace_check.h).
int check_main(const std::string& path) {
  auto problems = check_trace(path);  // throws (exit 125) if it is not SQLite at all
  if (problems.empty()) {
    std::cout << "rp check: " << path << ": ok\n";
    return 0;
  }
  for (const auto& p : problems) std::cout << "rp check: " << path << ": " << p << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "rp: no command given (rp --help lists them)\n";
    return kOwnFailure;
  }
  std::string cmd = argv[1];
  try {
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (cmd == "--version" || cmd == "-V") {
      std::cout << "rp " << RP_VERSION << "\n";
      return 0;
    }
    auto args = args_of(argc, argv, 2);
    if (cmd == "record") return cmd_record(args);
    if (cmd == "replay") return cmd_replay(args);
    if (cmd == "dump") return cmd_dump(args);
    if (cmd == "info") return cmd_trace_only(args, "rp info TRACE", info_main);
    if (cmd == "check")
      return cmd_trace_only(args, "rp check TRACE", check_main,
                            "\nExits 0 if the trace is valid, 1 if it has problems (one line each),"
                            "\n125 if it cannot be read at all.\n");
    if (cmd == "ps") return cmd_trace_only(args, "rp ps TRACE", ps_main);
    if (cmd == "ls") return cmd_ls(args);
    if (cmd == "save") return save_main(args);
    if (cmd == "timeline") return cmd_timeline(args);
    // Internal, run by the gdb that `rp replay -g` starts (replay/gdb_server.h).
    if (cmd == "gdb-handoff" && args.size() == 1) return gdb_handoff_main(std::stoi(args[0]));
    std::cerr << "rp: unknown command '" << cmd << "' (rp --help lists them)\n";
    return kOwnFailure;
  } catch (const NotFound& e) {
    std::cerr << "rp: " << e.what() << "\n";
    return kNotFound;
  } catch (const po::error& e) {  // a usage error, as Boost words it
    std::cerr << "rp: " << cmd << ": " << e.what() << "\n";
    return kOwnFailure;
  } catch (const UsageError& e) {
    std::cerr << "rp: " << e.what() << "\n";
    return kOwnFailure;
  } catch (const std::exception& e) {
    std::cerr << "rp: " << e.what() << "\n";
    return kOwnFailure;
  }
}
