/* counter_lib: reads the time counter in a shared library and in a dlopen'ed
 * plugin, never in the program itself, and prints what was read. rp records
 * those reads too (on arm64 it patches them when the library is mapped:
 * docs/design.md "Architectures"), so a replay prints the same numbers. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "counter_read.h"

int main(int argc, char** argv) {
    (void)argc;
    unsigned long long lib = counter_sum(5);
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
