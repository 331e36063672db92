# The daemon benchmark (included by bench/CMakeLists.txt): a 16-byte call
# through `stockade serve` beside the in-process library and the bare
# socketpair floor, in one run:
#   build/bench/bench_daemon_roundtrip [--json]
if(TARGET stockade_supervisor AND TARGET stockade)
  add_executable(bench_daemon_roundtrip ${CMAKE_CURRENT_SOURCE_DIR}/daemon_roundtrip.cpp)
  target_link_libraries(bench_daemon_roundtrip PRIVATE stockade_supervisor stockade_control
    stockade_whitelist stockade_spdlog)
  target_compile_definitions(bench_daemon_roundtrip PRIVATE
    STOCKADE_BIN="$<TARGET_FILE:stockade>"
    STOCKADE_EXAMPLE_PLUGINS_DIR="${CMAKE_BINARY_DIR}/examples/plugins")
  add_dependencies(bench_daemon_roundtrip stockade)
  if(TARGET example_plugins)
    add_dependencies(bench_daemon_roundtrip plugin_dir_echo)
  endif()
  stockade_add_warnings(bench_daemon_roundtrip)
endif()
