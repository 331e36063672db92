# bench_sandbox_launch: verify + full sandbox + exit of a static "exit 0"
# binary beside a bare fork+exec of it, same run, ratio and per-step medians;
# again with a 256 MiB supervisor. bench/sandbox-vs-bwrap.sh compares
# `stockade jail` end to end with bwrap --unshare-all.
add_executable(bench_exit0 ${CMAKE_CURRENT_SOURCE_DIR}/exit0.c)
target_link_options(bench_exit0 PRIVATE -static)
target_compile_options(bench_exit0 PRIVATE -fno-sanitize=all)
add_executable(bench_sandbox_launch ${CMAKE_CURRENT_SOURCE_DIR}/sandbox_launch_bench.cpp)
target_link_libraries(bench_sandbox_launch PRIVATE stockade_sandbox stockade_whitelist)
add_dependencies(bench_sandbox_launch bench_exit0)
stockade_add_warnings(bench_sandbox_launch)
