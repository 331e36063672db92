# Large payloads in memfds against frames (included by bench/CMakeLists.txt):
#   build/bench/bench_large_payload [--json]
if(TARGET stockade_supervisor)
  add_executable(bench_large_payload ${CMAKE_CURRENT_SOURCE_DIR}/large_payload.cpp)
  target_link_libraries(bench_large_payload PRIVATE stockade_supervisor stockade_spdlog)
  target_compile_definitions(bench_large_payload PRIVATE
    STOCKADE_EXAMPLE_PLUGINS_DIR="${CMAKE_BINARY_DIR}/examples/plugins")
  if(TARGET example_plugins)
    add_dependencies(bench_large_payload plugin_dir_echo)
  endif()
  stockade_add_warnings(bench_large_payload)
endif()
