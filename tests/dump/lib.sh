# Shared by the dump tests: the integration helpers plus PROBE (decode_probe.c).
# shellcheck source=../integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
: "${PROBE:?PROBE must be the path of rp_test_decode_probe}"

# Lines of FILE that are syscalls, as "name(first argument" (strace -f -o or rp dump -f).
calls_of() {
    sed -E 's/^(\[pid +[0-9]+\] |[0-9]+ +)//' "$1" |
        grep -E '^[a-z_0-9]+\(' | grep -v 'resumed>' |
        sed -E 's/^([a-z_0-9]+)\(([^,)]*).*/\1(\2/'
}
