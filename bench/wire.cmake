# Wire codec benchmarks (included by bench/CMakeLists.txt):
#   build/bench/bench_wire_codec
add_executable(bench_wire_codec ${CMAKE_CURRENT_SOURCE_DIR}/wire_codec.cpp)
target_link_libraries(bench_wire_codec PRIVATE stockade_wire benchmark::benchmark)
stockade_add_warnings(bench_wire_codec)
