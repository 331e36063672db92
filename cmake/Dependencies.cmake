# All dependencies are Debian 12 packages (scripts/deps installs them).
# Versions and pitfalls: ../shared/PLATFORM.md.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp>=2.5)
find_package(OpenSSL 3 REQUIRED)
# Generated headers assert the exact library version, so pin it.
find_package(FlatBuffers 2.0.8 EXACT CONFIG REQUIRED)
find_package(Threads REQUIRED)

if(NOT (STOCKADE_FUZZ OR STOCKADE_AFL))
  find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS headers)
  find_package(spdlog CONFIG REQUIRED)
  find_package(nlohmann_json 3.11 CONFIG REQUIRED)
endif()
if(STOCKADE_TESTS AND NOT (STOCKADE_FUZZ OR STOCKADE_AFL))
  find_package(GTest REQUIRED)
endif()
if(STOCKADE_BENCH AND NOT (STOCKADE_FUZZ OR STOCKADE_AFL))
  find_package(benchmark CONFIG REQUIRED)
endif()
