/* libcounter_read.so: a DT_NEEDED library of sample_counter_lib, mapped by
 * ld.so after exec. */
#include "counter_read.h"

unsigned long long counter_sum(int n) {
    unsigned long long sum = 0;
    for (int i = 0; i < n; i++) sum += read_counter();
    return sum;
}
