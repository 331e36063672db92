# Every target is a unity build: each target's sources are compiled in
# batches of 8 files as one translation unit (CMake's UNITY_BUILD), so the
# headers they share (Asio, spdlog, FlatBuffers, GoogleTest) are parsed and
# their templates instantiated and optimised once per batch instead of once
# per file. CI builds the tree twice on 2 cores (issue 10).
#
# Files of one target share a translation unit, so their file-local names
# (anonymous namespaces, statics, using-declarations) must differ; a clash is
# a compile error that names both. -DSTOCKADE_UNITY=OFF compiles file by file
# (e.g. to check that each file includes what it uses, or for tools that read
# compile_commands.json per source file). The scope is this project's: a
# parent that add_subdirectory()s stockade keeps its own setting.
option(STOCKADE_UNITY "Compile each target's files in batches of 8 as one translation unit" ON)
if(STOCKADE_UNITY)
  set(CMAKE_UNITY_BUILD ON)
  set(CMAKE_UNITY_BUILD_BATCH_SIZE 8)
endif()
