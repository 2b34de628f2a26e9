# Cross build of rp for arm64 on an x86_64 Debian host:
#   tests/arm64/make_sysroot.sh build/arm64-sysroot
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DRP_ARM64_SYSROOT=build/arm64-sysroot/sysroot -DRP_TESTS=OFF
# The compiler is Debian's gcc-aarch64-linux-gnu/g++-aarch64-linux-gnu with its
# own C library (/usr/aarch64-linux-gnu); the sysroot adds the arm64 -dev
# packages of rp's libraries (headers and static archives). Everything is
# linked statically, so the binary runs in a bare initramfs.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT RP_ARM64_SYSROOT)
  message(FATAL_ERROR "set RP_ARM64_SYSROOT to the directory tests/arm64/make_sysroot.sh filled")
endif()
get_filename_component(RP_ARM64_SYSROOT "${RP_ARM64_SYSROOT}" ABSOLUTE)
# try_compile projects read the toolchain file again: hand them the sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RP_ARM64_SYSROOT)

set(CMAKE_FIND_ROOT_PATH ${RP_ARM64_SYSROOT} /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # host tools: bpftool, clang
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Static archives only: find_library and pkg-config's imported targets pick .a.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(Boost_USE_STATIC_LIBS ON)

set(ENV{PKG_CONFIG_SYSROOT_DIR} ${RP_ARM64_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR}
    "${RP_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${RP_ARM64_SYSROOT}/usr/share/pkgconfig")

set(_inc "-isystem ${RP_ARM64_SYSROOT}/usr/include/aarch64-linux-gnu -isystem ${RP_ARM64_SYSROOT}/usr/include")
set(CMAKE_C_FLAGS_INIT "${_inc}")
set(CMAKE_CXX_FLAGS_INIT "${_inc}")
# The libraries' own dependencies (libbpf -> libelf -> zlib, zstd) are not in
# pkg-config's non-static link lines: append them after everything else.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -L${RP_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
set(CMAKE_CXX_STANDARD_LIBRARIES "-lelf -lz -lzstd -lpthread")

# LLVM's own CMake package names the host's paths and shared helpers (z3,
# terminfo); a small one in cmake/llvm-aarch64 links the static component
# archives from the sysroot instead.
set(LLVM_DIR ${CMAKE_CURRENT_LIST_DIR}/llvm-aarch64 CACHE PATH "" FORCE)
# The eBPF program is compiled against the arm64 kernel's BTF (make_sysroot.sh
# extracts it next to the kernel image).
set(RP_VMLINUX_BTF ${RP_ARM64_SYSROOT}/boot/vmlinux.btf CACHE FILEPATH "" FORCE)
# rp.ko is built against the arm64 kernel's headers in the sysroot, whose
# kbuild tools make_sysroot.sh points at the host's (amd64) linux-kbuild, with
# the cross compiler of the same major version as Debian's kernel build
# (gcc-12). No headers there: kmod/ leaves the module out.
file(GLOB _rp_kheaders LIST_DIRECTORIES true "${RP_ARM64_SYSROOT}/usr/src/linux-headers-*-arm64")
if(_rp_kheaders)
  list(GET _rp_kheaders 0 _rp_kdir)
  string(REGEX REPLACE ".*/linux-headers-" "" _rp_kver "${_rp_kdir}")
  set(RP_KVER "${_rp_kver}" CACHE STRING "" FORCE)
  set(RP_KDIR "${_rp_kdir}" CACHE PATH "" FORCE)
else()
  set(RP_KVER "none-cross-arm64" CACHE STRING "" FORCE)
  unset(RP_KDIR CACHE)  # a sysroot without headers: no tree from before
endif()
set(RP_KMOD_MAKE_ARGS ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CACHE STRING "" FORCE)
