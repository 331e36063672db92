# All dependencies are Debian 12 packages (scripts/deps installs them).
# Versions and pitfalls: ../shared/PLATFORM.md.
#
# Start-up time is part of `stockade jail`'s cost (it runs once per command):
# loading and relocating libcrypto, libstdc++, spdlog and fmt took about 2 ms
# of a 9 ms jail. So libcrypto and libseccomp are linked from their static
# archives, spdlog and fmt are compiled in (once, by deps/), and our programs
# take libstdc++ statically (stockade_static_runtime); libc stays shared, so
# glibc's security updates still apply without a rebuild. What this costs and
# why it is acceptable: docs/design-notes.md.
option(STOCKADE_STATIC_DEPS "Link libcrypto, libseccomp, spdlog and fmt statically" ON)
# STOCKADE_SDK_ONLY (top-level CMakeLists.txt): base/, wire/ and sdk/ need
# FlatBuffers and threads only; a plugin author has nothing else installed.
if(STOCKADE_SDK_ONLY)
  find_package(FlatBuffers 2.0.8 EXACT CONFIG REQUIRED)
  find_package(Threads REQUIRED)
  return()
endif()
find_package(PkgConfig REQUIRED)
pkg_check_modules(SECCOMP REQUIRED libseccomp>=2.5)
add_library(stockade_seccomp_lib INTERFACE)
if(STOCKADE_STATIC_DEPS)
  find_library(STOCKADE_SECCOMP_ARCHIVE NAMES libseccomp.a HINTS ${SECCOMP_LIBRARY_DIRS} REQUIRED)
  target_link_libraries(stockade_seccomp_lib INTERFACE ${STOCKADE_SECCOMP_ARCHIVE})
  set(OPENSSL_USE_STATIC_LIBS TRUE)
else()
  target_link_libraries(stockade_seccomp_lib INTERFACE ${SECCOMP_LINK_LIBRARIES})
endif()
target_include_directories(stockade_seccomp_lib SYSTEM INTERFACE ${SECCOMP_INCLUDE_DIRS})
find_package(OpenSSL 3 REQUIRED)
# Generated headers assert the exact library version, so pin it.
find_package(FlatBuffers 2.0.8 EXACT CONFIG REQUIRED)
find_package(Threads REQUIRED)

if(NOT (STOCKADE_FUZZ OR STOCKADE_AFL))
  find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS headers)
  find_package(spdlog CONFIG REQUIRED)
  find_package(fmt CONFIG REQUIRED)
  # stockade_spdlog (spdlog over fmt) is made in deps/CMakeLists.txt.
  find_package(nlohmann_json 3.11 CONFIG REQUIRED)
endif()
if(STOCKADE_TESTS AND NOT (STOCKADE_FUZZ OR STOCKADE_AFL))
  find_package(GTest REQUIRED)
endif()
if(STOCKADE_BENCH AND NOT (STOCKADE_FUZZ OR STOCKADE_AFL))
  find_package(benchmark CONFIG REQUIRED)
endif()

# stockade_static_runtime(target): libstdc++ and libgcc linked into a program
# we ship (see above). Not for programs that load a shared C++ library
# (libbenchmark), which would bring a second libstdc++ into the process; not
# under the sanitizers, whose runtimes expect the shared one.
# Also packs the program's relative relocations (DT_RELR, binutils 2.38 and
# glibc 2.36, Debian 12's): the loader applies a bitmap instead of 5,700
# entries, 0.05-0.07 ms of each start of `stockade` (`--version` 1.45 -> 1.39
# ms, interleaved runs). A glibc too old for it refuses the program by name
# (GLIBC_ABI_DT_RELR) rather than misloading it.
include(CheckLinkerFlag)
check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" STOCKADE_HAVE_PACK_RELATIVE_RELOCS)
function(stockade_static_runtime target)
  if(STOCKADE_STATIC_DEPS AND NOT STOCKADE_SANITIZE AND NOT STOCKADE_FUZZ AND NOT STOCKADE_AFL)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
    if(STOCKADE_HAVE_PACK_RELATIVE_RELOCS)
      target_link_options(${target} PRIVATE -Wl,-z,pack-relative-relocs)
    endif()
  endif()
endfunction()
