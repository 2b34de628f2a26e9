/* libcounter_plugin.so: dlopen'ed by sample_counter_lib, mapped long after
 * exec. */
#include "counter_read.h"

unsigned long long plugin_counter_sum(int n) {
    unsigned long long sum = 0;
    for (int i = 0; i < n; i++) sum += read_counter();
    return sum;
}
