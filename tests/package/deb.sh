# Builds rp's .debs with cpack, checks their metadata (Debian runtime packages
# as dependencies) and contents, unpacks them into an empty directory tree and
# runs the unpacked rp (--version, a record and a replay, the man page) and
# builds the kernel module from the unpacked DKMS sources.
SRC_ROOT=$(cd "$(dirname "$0")/../.." && pwd)  # before lib.sh changes directory
source "$(dirname "$0")/../integration/lib.sh"
: "${BUILD_DIR:?}"

note "cpack"
cmake --build "$BUILD_DIR" --target rp rp_manpage >"$TMP/build.log" 2>&1 || { show "$TMP/build.log"; fail "build"; }
(cd "$TMP" && cpack -G DEB --config "$BUILD_DIR/CPackConfig.cmake" -B "$TMP/pkg") >"$TMP/cpack.log" 2>&1 ||
    { show "$TMP/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$TMP"/pkg/rp_*.deb 2>/dev/null | head -1)
dkms_deb=$(ls "$TMP"/pkg/rp-dkms_*_all.deb 2>/dev/null | head -1)
[ -f "$dkms_deb" ] || { show "$TMP/cpack.log"; fail "no rp-dkms .deb written"; }
[ -f "$deb" ] || { show "$TMP/cpack.log"; fail "no .deb written"; }

note "metadata: $(basename "$deb")"
dpkg-deb -I "$deb" >"$TMP/info" || fail "dpkg-deb -I"
assert_contains "$TMP/info" "Package: rp" "package name"
depends=$(sed -n 's/^ Depends: //p' "$TMP/info")
names=" $(echo "$depends" | sed 's/([^)]*)//g; s/,/ /g' | tr -s ' ') "
for p in libc6 libsqlite3-0 libzstd1 libstdc++6 libboost-program-options1.74.0 libcapstone4; do
    case $names in *" $p "*) ;; *) show "$TMP/info"; fail "Depends lacks $p" ;; esac
done
# Every dependency is an installed Debian package (none invented).
for p in $names; do
    dpkg -s "$p" >/dev/null 2>&1 || fail "dependency $p is not a Debian package on this system"
done

note "contents"
dpkg-deb -c "$deb" >"$TMP/contents" || fail "dpkg-deb -c"
for f in ./usr/bin/rp ./usr/share/man/man1/rp.1.gz ./usr/share/doc/rp/user-guide.md \
         ./usr/share/bash-completion/completions/rp; do
    grep -q " $f\$" "$TMP/contents" || { show "$TMP/contents"; fail "$f not in the package"; }
done

note "unpacked into an empty tree"
root=$TMP/root
dpkg -x "$deb" "$root" || fail "dpkg -x"
rp=$root/usr/bin/rp
version=$("$rp" --version) || fail "rp --version from the package"
version_number=${version#rp }
assert_eq "$version" "$("$RP" --version)" "packaged rp --version"
mkdir "$TMP/work" && cd "$TMP/work" || exit 1
run "$TMP/rec.out" "$TMP/rec.err" "$rp" record -q -o t.db -- "$SAMPLES/sample_random_bytes"
assert_eq "$STATUS" 0 "packaged rp record"
run "$TMP/rep.out" "$TMP/rep.err" "$rp" replay t.db
assert_eq "$STATUS" 0 "packaged rp replay"
assert_same_file "$TMP/rec.out" "$TMP/rep.out" "replay output vs recording"
"$rp" dump -e trace=getrandom t.db >"$TMP/dump" || fail "packaged rp dump"
grep -q '^ *[0-9]* *[0-9]*  getrandom(' "$TMP/dump" || { show "$TMP/dump"; fail "packaged rp dump output"; }

note "man page and completion"
zcat "$root/usr/share/man/man1/rp.1.gz" >"$TMP/rp.1"
assert_contains "$TMP/rp.1" ".TH RP 1" "man page header"
assert_contains "$TMP/rp.1" "rp timeline" "man page lists the commands"
if command -v man >/dev/null; then
    man --warnings -l "$TMP/rp.1" >/dev/null 2>"$TMP/man.err"
    [ -s "$TMP/man.err" ] && { show "$TMP/man.err"; fail "man page warnings"; }
fi
# A binary that does not run here (e.g. cross-built) must fail the page, not
# make one with empty sections.
printf '\177ELF not a program\n' >"$TMP/notrp"; chmod +x "$TMP/notrp"
if sh "$SRC_ROOT/packaging/rp-manpage.sh" "$TMP/notrp" /dev/null 0 >"$TMP/bad.1" 2>"$TMP/bad.err"; then
    fail "rp-manpage.sh made a page from a binary that does not run"
fi
assert_contains "$TMP/bad.err" "rp-manpage.sh: cannot run" "rp-manpage.sh says why"
bash -c "source '$root/usr/share/bash-completion/completions/rp'
COMP_WORDS=(rp ti); COMP_CWORD=1; _rp; echo \${COMPREPLY[*]}" >"$TMP/comp" || fail "completion script"
assert_eq "$(cat "$TMP/comp")" "timeline" "completion of 'rp ti'"
note "rp-dkms"
dpkg-deb -I "$dkms_deb" >"$TMP/dkms.info" || fail "dpkg-deb -I rp-dkms"
assert_contains "$TMP/dkms.info" " Depends: dkms" "rp-dkms depends on dkms"
assert_contains "$TMP/dkms.info" " postinst" "rp-dkms registers the module with dkms"
dpkg -x "$dkms_deb" "$root" || fail "dpkg -x rp-dkms"
src=$(echo "$root"/usr/src/rp-*)
assert_contains "$src/dkms.conf" "PACKAGE_VERSION=\"$version_number\"" "dkms.conf version"
kver=$(ls /lib/modules 2>/dev/null | sort -V | tail -1)
if [ -n "$kver" ] && [ -f "/lib/modules/$kver/build/Makefile" ]; then
    # What DKMS does: copy the sources to its tree's build directory and run
    # dkms.conf's MAKE[0] there, with its variables set.
    tree=$TMP/dkms-tree
    mkdir -p "$tree/rp/$version_number" && cp -r "$src" "$tree/rp/$version_number/build"
    (
        kernel_source_dir=/lib/modules/$kver/build dkms_tree=$tree
        # shellcheck source=/dev/null
        source "$src/dkms.conf"
        eval "${MAKE[0]}"
    ) >"$TMP/kmod.log" 2>&1 || { show "$TMP/kmod.log"; fail "dkms.conf's MAKE on the packaged sources"; }
    [ -f "$tree/rp/$version_number/build/rp.ko" ] || { show "$TMP/kmod.log"; fail "no rp.ko from dkms.conf's MAKE"; }
    note "rp.ko built for $kver from the packaged sources"
else
    note "no kernel headers: the DKMS sources are not compiled"
fi
echo PASS
