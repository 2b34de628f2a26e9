#!/bin/sh
# Writes the rp(1) man page to stdout from rp's own help texts and the user
# guide (docs/user-guide.md), so the page never drifts from the program.
# usage: rp-manpage.sh RP_BINARY USER_GUIDE VERSION
set -eu
rp=$1 guide=$2 version=$3
# The pipelines below cannot see rp fail (no pipefail in dash): a binary that
# does not run here (a cross build) would make a page with empty sections.
"$rp" --help >/dev/null 2>&1 || { echo "rp-manpage.sh: cannot run $rp" >&2; exit 1; }

# Text as roff: backslashes escaped, lines that start with . or ' protected.
roff_text() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

cat <<EOF2
.TH RP 1 "" "rp $version" "User Commands"
.SH NAME
rp \- record a program's system calls into one file and replay them exactly
.SH SYNOPSIS
.nf
EOF2
# Usage lines: the command column of `rp --help` (descriptions start at column 59).
"$rp" --help | grep '^  [a-z]' | cut -c3-58 | sed -e 's/ *$//' -e 's/^/rp /' | roff_text
echo ".fi"
echo ".SH COMMANDS"
for c in record replay dump ps ls timeline info; do
    echo ".SS rp $c"
    echo ".nf"
    "$rp" "$c" --help | roff_text
    echo ".fi"
done
cat <<'EOF2'
.SH EXIT STATUS
rp record and rp replay exit with the recorded program's status (128+N if
signal N killed it). rp's own failures print one line starting with
"rp:" on standard error and exit with 125; a program that cannot be found
exits with 127.
EOF2
# The user guide, from Markdown: headings become sections, code blocks and
# tables no-fill blocks, list items tagged paragraphs.
echo ".SH USER GUIDE"
awk '
    function text(s) {
        gsub(/\\/, "\\e", s)
        if (s ~ /^[.\047]/) s = "\\&" s
        return s
    }
    function end_table() { if (table) { print ".fi"; table = 0 } }
    /^```/ { code = !code; print (code ? ".nf" : ".fi"); next }
    code { print text($0); next }
    /^\|/ {
        if ($0 ~ /^\|[-| :]*$/) next
        if (!table) { print ".nf"; table = 1 }
        print text($0); next
    }
    { end_table() }
    /^# / { next }
    /^##+ / { sub(/^#+ /, ""); print ".SS " text($0); next }
    /^$/ { print ".PP"; next }
    /^[-*] / { sub(/^[-*] /, ""); print ".IP \\(bu 2"; print text($0); next }
    { print text($0) }
    END { end_table() }
' "$guide"
cat <<'EOF2'
.SH FILES
.TP
/usr/share/doc/rp/
the user guide, debugging, backends, trace format and design documents
.SH SEE ALSO
.BR strace (1),
.BR gdb (1),
.BR rr (1)
EOF2
