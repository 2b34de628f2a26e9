# Stand-in for LLVM's CMake package in the arm64 cross build (see
# cmake/aarch64-linux-gnu.cmake): the same variables and function rp uses, over
# the static archives of the sysroot's llvm-14-dev. One linker group holds the
# components libObject may reach, so their order does not matter; the linker
# takes only the objects rp needs.
set(LLVM_PACKAGE_VERSION 14.0.6)
set(LLVM_VERSION_MAJOR 14)
set(_root ${RP_ARM64_SYSROOT}/usr/lib/llvm-14)
set(LLVM_INCLUDE_DIRS ${RP_ARM64_SYSROOT}/usr/include/llvm-14 ${RP_ARM64_SYSROOT}/usr/include/llvm-c-14)
set(LLVM_LIBRARY_DIRS ${_root}/lib)
set(_components Object BitReader BitstreamReader Core Remarks MC MCParser TextAPI
    BinaryFormat Support Demangle IRReader AsmParser)
set(_group "")
foreach(c IN LISTS _components)
  if(NOT EXISTS ${_root}/lib/libLLVM${c}.a)
    message(FATAL_ERROR "LLVM (arm64): no ${_root}/lib/libLLVM${c}.a")
  endif()
  list(APPEND _group ${_root}/lib/libLLVM${c}.a)
endforeach()
if(NOT TARGET rp_llvm_static)
  add_library(rp_llvm_static INTERFACE IMPORTED)
  string(JOIN " " _joined ${_group})
  set_target_properties(rp_llvm_static PROPERTIES INTERFACE_LINK_LIBRARIES
    "-Wl,--start-group;${_group};-Wl,--end-group;-ltinfo;-lz;-lpthread;-ldl")
endif()
function(llvm_map_components_to_libnames out)
  set(${out} rp_llvm_static PARENT_SCOPE)
endfunction()
