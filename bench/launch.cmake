# Launch to first call (included by bench/CMakeLists.txt):
#   build/bench/bench_launch_breakdown [ROUNDS]   step by step, beside a bare exec
#   bench/launch-timeline.sh                      the plugin's side, from kernel tracepoints
if(TARGET stockade_supervisor)
  add_executable(bench_launch_breakdown ${CMAKE_CURRENT_SOURCE_DIR}/launch_breakdown.cpp)
  target_link_libraries(bench_launch_breakdown PRIVATE stockade_supervisor stockade_spdlog)
  target_compile_definitions(bench_launch_breakdown PRIVATE
    STOCKADE_EXAMPLE_PLUGINS_DIR="${CMAKE_BINARY_DIR}/examples/plugins")
  if(TARGET example_plugins)
    add_dependencies(bench_launch_breakdown plugin_dir_echo)
  endif()
  stockade_add_warnings(bench_launch_breakdown)
endif()
