# bench_whitelist_hash: the whitelist's SHA-256 hasher beside a plain OpenSSL
# one-shot digest of the same buffer, measured in the same run; prints the ratio.
# bench/plugin-hash-vs-sha256sum.sh times the plugin-hash program against sha256sum.
add_executable(bench_whitelist_hash ${CMAKE_CURRENT_SOURCE_DIR}/whitelist_hash_bench.cpp)
target_link_libraries(bench_whitelist_hash PRIVATE stockade_whitelist OpenSSL::Crypto
  benchmark::benchmark)
stockade_add_warnings(bench_whitelist_hash)
