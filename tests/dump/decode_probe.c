/* Makes one syscall of each kind `rp dump` decodes, with fixed arguments, so
 * tests/dump/kinds.sh can expect exact strace-style lines. Run in an empty
 * directory (it creates files there). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

int main(void) {
  close_range(3, ~0U, 0);  /* fds inherited from the test runner would shift the numbers */
  int fd = open("probe.txt", O_WRONLY | O_CREAT | O_TRUNC, 0640);
  write(fd, "a\tb\001\0027\n", 7);
  close(fd);
  fd = openat(AT_FDCWD, "probe.txt", O_RDONLY | O_CLOEXEC);
  char buf[64];
  read(fd, buf, sizeof buf);
  struct stat st;
  fstat(fd, &st);
  lseek(fd, 2, SEEK_SET);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  fcntl(fd, F_GETFL);
  close(fd);
  access("no-such-file", R_OK | W_OK);

  mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  int un = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  strcpy(sun.sun_path, "probe.sock");
  bind(un, (struct sockaddr*)&sun, sizeof sun);
  socklen_t len = sizeof sun;
  getsockname(un, (struct sockaddr*)&sun, &len);

  int s6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
  struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(0)};
  in6.sin6_addr = in6addr_loopback;
  bind(s6, (struct sockaddr*)&in6, sizeof in6);
  len = sizeof in6;
  getsockname(s6, (struct sockaddr*)&in6, &len);

  int p[2];
  pipe2(p, O_NONBLOCK);
  write(p[1], "x", 1);
  struct pollfd pfd = {.fd = p[0], .events = POLLIN};
  poll(&pfd, 1, 0);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  epoll_wait(ep, &ev, 1, 0);

  struct timespec ts;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  struct sigaction sa = {.sa_handler = on_usr1};
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR1, NULL, &sa);
  kill(getpid(), SIGUSR1);
  prctl(PR_GET_DUMPABLE);
  uint32_t word = 0;
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  struct winsize ws;
  ioctl(p[0], TIOCGWINSZ, &ws);

  pid_t child = fork();
  if (child == 0) _exit(5);
  int status;
  wait4(child, &status, 0, NULL);
  return 0;
}
