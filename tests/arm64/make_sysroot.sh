#!/bin/bash
# Fetches the arm64 Debian packages rp's cross build (and its QEMU test) needs
# and unpacks them with `dpkg -x` into DIR/sysroot, so nothing is installed on
# the host and nothing clashes with the amd64 packages. apt runs with its own
# state under DIR/apt (arm64 package lists only): the host's dpkg keeps its
# architectures. Idempotent: a stamp holding the package list skips the work
# when nothing changed.
#
# usage: make_sysroot.sh DIR      (e.g. build/arm64-sysroot)
# Also unpacks into DIR/sysroot: the arm64 kernel image (boot/vmlinuz-*) with
# its BTF, and busybox-static, for tests/arm64/run_vm_test.sh; and that
# kernel's headers (usr/src/linux-headers-*), which kmod/CMakeLists.txt
# builds rp.ko against with the host's own kbuild tools (linux-kbuild-6.1,
# amd64 binaries: Debian's arm64 ones would not run here).
set -euo pipefail
[ $# = 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$(realpath -m "$1")
mkdir -p "$dir"

# Static libraries and headers rp links (see CMakeLists.txt); llvm-14-dev for
# libObject (common/vdso.cc, exec_files.cc), ncurses/tinfo for LLVMSupport.
PACKAGES=(
  libsqlite3-dev libzstd-dev libxxhash-dev
  libboost-program-options1.74-dev libboost1.74-dev
  libcapstone-dev libelf-dev zlib1g-dev libbpf-dev libseccomp-dev
  llvm-14-dev libncurses-dev
  linux-image-arm64 linux-headers-arm64 busybox-static
)

# Debian's arm64 vmlinuz is an uncompressed Image with the kernel's BTF inside:
# find its header (magic 0xeb9f, version 1, flags 0, hdr_len 24) and cut
# hdr_len + str_off + str_len bytes, the raw BTF bpftool reads.
extract_btf() {
  local image=$1 off a type_off str_off str_len
  off=$(LC_ALL=C grep -obUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$image" | head -1 | cut -d: -f1)
  [ -n "$off" ] || { echo "make_sysroot: no BTF in $image" >&2; return 1; }
  read -r type_off a str_off str_len < <(od -An -t u4 -j $((off + 8)) -N 16 "$image")
  dd if="$image" bs=1M iflag=skip_bytes,count_bytes skip="$off" \
     count=$((24 + str_off + str_len)) status=none
}

# Debian's headers link scripts/ and tools/ to ../../lib/linux-kbuild-X.Y,
# the kbuild package of the build machine's architecture: point that at the
# host's, which must be at least the headers' version (as their Depends say).
# Their Makefile includes the -common half by its absolute /usr/src path:
# include it from beside itself instead, inside the sysroot.
link_kbuild() {
  local hdr=$1 version=$2 kb have
  kb=$(readlink "$hdr/scripts" | sed -n 's|^\.\./\.\./lib/\(linux-kbuild-[0-9.]*\)/scripts$|\1|p')
  [ -n "$kb" ] || { echo "make_sysroot: $hdr/scripts is not a linux-kbuild link" >&2; return 1; }
  have=$(dpkg-query -W -f='${Version}' "$kb" 2>/dev/null || true)
  if [ -z "$have" ] || [ ! -d "/usr/lib/$kb/scripts" ]; then
    echo "make_sysroot: $kb is not installed on the host (apt-get install $kb; build.sh installs it)" >&2
    return 1
  fi
  if ! dpkg --compare-versions "$have" ge "$version"; then
    echo "make_sysroot: the host's $kb is $have, older than the arm64 headers' $version (apt-get install $kb)" >&2
    return 1
  fi
  ln -sfn "/usr/lib/$kb" "$dir/sysroot/usr/lib/$kb"
  sed -i 's|^include /usr/src/\(linux-headers-[^/]*-common\)/Makefile$|include $(dir $(lastword $(MAKEFILE_LIST)))../\1/Makefile|' \
    "$hdr/Makefile"
  grep -q '^include $(dir' "$hdr/Makefile" ||
    { echo "make_sysroot: unexpected $hdr/Makefile" >&2; return 1; }
}

apt_opts=(
  -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache"
  -o "Dir::State::status=$dir/apt/status"
  -o APT::Architecture=arm64 -o "APT::Architectures::=arm64"
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root -q
)
stamp=$dir/sysroot/.rp-packages
want="${PACKAGES[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs"
touch "$dir/apt/status"
apt-get "${apt_opts[@]}" update >/dev/null
# linux-image-arm64 is a metapackage: download the image it depends on.
kimage=$(apt-cache "${apt_opts[@]}" depends linux-image-arm64 |
         awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kimage" ] || { echo "make_sysroot: no kernel image behind linux-image-arm64" >&2; exit 1; }
# The headers of that very image, and the architecture-independent half
# they depend on.
kheaders=linux-headers-${kimage#linux-image-}
kcommon=$(apt-cache "${apt_opts[@]}" depends "$kheaders" |
          awk '/Depends: linux-headers-.*-common/ {print $2; exit}')
[ -n "$kcommon" ] || { echo "make_sysroot: no $kheaders (or its -common) in the archive" >&2; exit 1; }
rm -f "$dir"/debs/*.deb
(cd "$dir/debs" && apt-get "${apt_opts[@]}" download \
   $(printf '%s\n' "${PACKAGES[@]}" | grep -v '^linux-\(image\|headers\)-arm64$') \
   "$kimage" "$kheaders" "$kcommon" >/dev/null)
rm -rf "$dir/sysroot"
mkdir -p "$dir/sysroot"
for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/sysroot"; done
extract_btf "$dir/sysroot"/boot/vmlinuz-* > "$dir/sysroot/boot/vmlinux.btf"
link_kbuild "$dir/sysroot/usr/src/$kheaders" "$(dpkg-deb -f "$dir"/debs/"${kheaders}"_*.deb Version)"
echo "$want" > "$stamp"
echo "make_sysroot: $(ls "$dir"/debs | wc -l) packages in $dir/sysroot ($kimage)"
