# find_package(LLVM 14) accepts the stand-in LLVMConfig.cmake beside this file.
set(PACKAGE_VERSION 14.0.6)
if(PACKAGE_FIND_VERSION_MAJOR EQUAL 14 OR NOT PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
endif()
