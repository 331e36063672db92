# Test programs are unity builds: each program's sources are compiled as one
# translation unit (CMake's UNITY_BUILD, batches of 8 files), so GoogleTest's
# headers and the templates every test instantiates are parsed, optimised and
# given debug info once per program instead of once per file. It roughly
# halves the CPU time of compiling tests/ (issue 10: CI runs three full builds
# on 2 cores). Included by tests/CMakeLists.txt, so it applies to the targets
# defined under tests/ only: our libraries and programs still compile file by
# file, as packagers build them.
#
# Two files of one program share a translation unit, so their file-local
# names (anonymous namespaces, statics) must differ; a clash is a compile
# error that names both. -DSTOCKADE_UNITY_TESTS=OFF compiles file by file
# (e.g. to check that each test file includes what it uses, or for tools that
# read compile_commands.json per source file).
option(STOCKADE_UNITY_TESTS "Compile each test program as one translation unit (unity build)" ON)
if(STOCKADE_UNITY_TESTS)
  set(CMAKE_UNITY_BUILD ON)
  set(CMAKE_UNITY_BUILD_BATCH_SIZE 8)
endif()
