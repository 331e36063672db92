# Plugin runtime benchmark (included by bench/CMakeLists.txt):
#   build/bench/bench_supervisor_roundtrip           the report (docs/host-authors.md)
#   build/bench/bench_supervisor_roundtrip --calls N  N calls only, for strace -c -f
if(TARGET stockade_supervisor)
  add_executable(bench_supervisor_roundtrip ${CMAKE_CURRENT_SOURCE_DIR}/supervisor_roundtrip.cpp)
  target_link_libraries(bench_supervisor_roundtrip PRIVATE stockade_supervisor stockade_spdlog)
  target_compile_definitions(bench_supervisor_roundtrip PRIVATE
    STOCKADE_EXAMPLE_PLUGINS_DIR="${CMAKE_BINARY_DIR}/examples/plugins")
  if(TARGET example_plugins)
    add_dependencies(bench_supervisor_roundtrip plugin_dir_echo)
  endif()
  stockade_add_warnings(bench_supervisor_roundtrip)
endif()
