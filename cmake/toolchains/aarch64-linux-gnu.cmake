# Cross-compiling for 64-bit ARM Linux with Debian's gcc-aarch64-linux-gnu;
# programs run under qemu-aarch64 (qemu-user) with the target's libraries.
#   cmake -S test/runtime -B build-aarch64 \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(KDC_AARCH64_TRIPLE aarch64-linux-gnu CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER ${KDC_AARCH64_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${KDC_AARCH64_TRIPLE}-g++)

set(CMAKE_FIND_ROOT_PATH /usr/${KDC_AARCH64_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# add_test() commands of target executables run through the emulator.
find_program(KDC_QEMU_AARCH64 qemu-aarch64)
if(KDC_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KDC_QEMU_AARCH64} -L /usr/${KDC_AARCH64_TRIPLE})
endif()
