# Many plugins on one Supervisor (included by bench/CMakeLists.txt):
#   build/bench/bench_many_plugins [--plugins N] [--json]
# fds and RSS per idle plugin, start N, one call to each; floors in the same run.
if(TARGET stockade_supervisor)
  add_executable(bench_many_plugins ${CMAKE_CURRENT_SOURCE_DIR}/many_plugins.cpp)
  target_link_libraries(bench_many_plugins PRIVATE stockade_supervisor stockade_spdlog)
  target_compile_definitions(bench_many_plugins PRIVATE
    STOCKADE_EXAMPLE_PLUGINS_DIR="${CMAKE_BINARY_DIR}/examples/plugins"
    STOCKADE_BENCH_EXIT0="$<TARGET_FILE:bench_exit0>")
  add_dependencies(bench_many_plugins bench_exit0)
  if(TARGET example_plugins)
    add_dependencies(bench_many_plugins plugin_dir_echo)
  endif()
  stockade_add_warnings(bench_many_plugins)
endif()
