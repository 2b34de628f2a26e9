# Sourced by the crafted-trace tests (crafted_traces.sh, crafted_snapshots.sh)
# after tests/integration/lib.sh. Each variant is a copy of one good trace
# changed with one SQL statement; the test then runs rp on every name in
# NAMES and looks for EXPECT[name] in what `rp check` says.
# The sourcing script sets `good` (the path of the untouched trace) first.

NAMES=()
declare -A EXPECT

# q SQL: runs SQL on the good trace and prints the result.
q() { sqlite3 "$good" "$1" || fail "sqlite3: $1"; }

# crafted NAME SQL EXPECTED-CHECK-TEXT: $TMP/NAME.db, the good trace with SQL applied.
crafted() {
    cp "$good" "$TMP/$1.db"
    sqlite3 "$TMP/$1.db" "$2" || fail "sqlite3 ($1): $2"
    NAMES+=("$1")
    EXPECT[$1]=$3
}
