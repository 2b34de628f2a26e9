/* A child runs this program again through a path the parent never read: fork
 * does not copy the page tables of file-backed mappings, so the string's page
 * is not present in the child when it calls execve, and the eBPF program
 * (which cannot take a page fault) fails to read it at sys_enter. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 1) {
        printf("child ran again\n");
        return 0;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {argv[0], "again", NULL};
        execve("/proc/self/exe", args, environ);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
