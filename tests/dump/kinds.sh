# rp dump of decode_probe (one syscall of each decoded kind) prints the lines
# strace prints for them: flags, enums, structs, strings, signals, exits.
source "$(dirname "$0")/lib.sh"

mkdir "$TMP/run" && cd "$TMP/run" || exit 1
record probe "$PROBE"
assert_eq "$REC_STATUS" 0 "probe recording"
"$RP" dump -f -s 300 "$TMP/probe.db" >"$TMP/probe.dump" || fail "rp dump"

expect() { assert_contains "$TMP/probe.dump" "$1" "${2:-decoded line}"; }
note "flags and enums"
expect 'openat(AT_FDCWD, "probe.txt", O_WRONLY|O_CREAT|O_TRUNC, 0640) = 3' "open flags and mode"
expect 'openat(AT_FDCWD, "probe.txt", O_RDONLY|O_CLOEXEC) = 3' "mode omitted without O_CREAT"
expect 'lseek(3, 2, SEEK_SET) = 2'
expect 'fcntl(3, F_SETFD, FD_CLOEXEC) = 0'
expect 'fcntl(3, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)'
expect 'access("no-such-file", R_OK|W_OK) = -1 ENOENT (No such file or directory)'
expect 'mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x'
expect 'socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3'
expect 'socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP) = 4'
expect 'pipe2([5, 6], O_NONBLOCK) = 0'
expect 'epoll_create1(EPOLL_CLOEXEC) = 7'
expect 'epoll_ctl(7, EPOLL_CTL_ADD, 5, 0x'
expect 'kill('
expect ', SIGUSR1) = 0'
expect 'prctl(PR_GET_DUMPABLE) = 1'
expect 'futex(0x'
expect ', FUTEX_WAKE_PRIVATE, 1) = 0'
expect 'ioctl(5, TIOCGWINSZ, 0x'
expect 'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x'

note "structs"
expect 'newfstatat(3, "", {st_mode=S_IFREG|0640, st_size=7, ...}, AT_EMPTY_PATH) = 0' "stat"
expect 'getsockname(3, {sa_family=AF_UNIX, sun_path="probe.sock"}, [13]) = 0' "sockaddr_un"
grep -qE 'getsockname\(4, \{sa_family=AF_INET6, sin6_port=htons\([0-9]+\), sin6_flowinfo=htonl\(0\), inet_pton\(AF_INET6, "::1", &sin6_addr\), sin6_scope_id=0\}, \[28\]\) = 0' \
    "$TMP/probe.dump" || { show "$TMP/probe.dump"; fail "sockaddr_in6"; }
expect 'poll([{fd=5, events=POLLIN}], 1, 0) = 1 ([{fd=5, revents=POLLIN}])' "pollfd"
expect 'epoll_wait(7, [{events=EPOLLIN, data={u32=7, u64=7}}], 1, 0) = 1' "epoll_event"
grep -qE 'clock_gettime\(CLOCK_MONOTONIC, \{tv_sec=[0-9]+, tv_nsec=[0-9]+\}\) = 0' "$TMP/probe.dump" ||
    { show "$TMP/probe.dump"; fail "timespec"; }
grep -qE 'rt_sigaction\(SIGUSR1, NULL, \{sa_handler=0x[0-9a-f]+, sa_mask=\[\], sa_flags=SA_RESTORER, sa_restorer=0x[0-9a-f]+\}, 8\) = 0' \
    "$TMP/probe.dump" || { show "$TMP/probe.dump"; fail "sigaction"; }
expect 'WEXITSTATUS(s) == 5}], 0, NULL) = ' "wait status"

note "strings, signals, exits"
expect 'read(3, "a\tb\1\0027\n", 64) = 7' "escaped data string"
expect '--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=' "siginfo"
expect '--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=' "SIGCHLD siginfo"
expect '+++ exited with 5 +++' "child exit"
expect 'exit_group(0) = ?' "exit does not return"
head -1 "$TMP/probe.dump" | grep -qE "^execve\(\"$PROBE\", \[\"$PROBE\"\], /\* [0-9]+ vars \*/\) = 0$" ||
    { head -1 "$TMP/probe.dump" >&2; fail "first execve with path and argv"; }
echo PASS
