/* counter_lib: reads the time counter in a shared library and in a dlopen'ed
 * plugin, never in the program itself, and prints what was read. rp records
 * those reads too (on arm64 it patches them when the library is mapped:
 * docs/design.md "Architectures"), so a replay prints the same numbers.
 * `counter_lib N` makes N getppid calls before the dlopen: a --ring
 * recording then starts from a snapshot taken before the plugin is mapped
 * (tests/integration/rdtsc_patch.sh). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "counter_read.h"

int main(int argc, char** argv) {
    unsigned long long lib = counter_sum(5);
    for (long i = argc > 1 ? atol(argv[1]) : 0; i > 0; i--) syscall(SYS_getppid);
    /* The plugin lies next to the program (argv[0] is a path in the tests). */
    char path[4096];
    const char* slash = strrchr(argv[0], '/');
    int dir = slash ? (int)(slash - argv[0]) : 1;
    snprintf(path, sizeof path, "%.*s/libcounter_plugin.so", dir, slash ? argv[0] : ".");
    void* h = dlopen(path, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "counter_lib: %s\n", dlerror());
        return 1;
    }
    unsigned long long (*plugin)(int) =
        (unsigned long long (*)(int))dlsym(h, "plugin_counter_sum");
    if (!plugin) {
        fprintf(stderr, "counter_lib: %s\n", dlerror());
        return 1;
    }
    unsigned long long plug = plugin(5);
    printf("library counter sum=%llu plugin counter sum=%llu\n", lib, plug);
    return 0;
}
