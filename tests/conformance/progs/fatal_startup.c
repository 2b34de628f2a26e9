/* A fatal signal during start-up, in a constructor before main: the program
 * prints its line and dies of SIGTERM (status 143). */
#include "conf.h"
#include <signal.h>

__attribute__((constructor)) static void early(void) {
    PASS();
    raise(SIGTERM);
}

int main(void) {
    puts("main must not run");
    return 0;
}
