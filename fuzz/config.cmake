# Fuzz targets for config/ (included by fuzz/CMakeLists.txt): the plugin
# manifest and operator config readers, on arbitrary bytes. Seeds:
# fuzz/corpus/manifest_parser/ and fuzz/corpus/config_parser/ (valid-* pass
# parse and validate, invalid-* fail one; tests/config/fuzz_corpus_test.cpp
# holds them to their names). Dictionaries: fuzz/<target>.dict (the keys).
stockade_fuzz_target(fuzz_manifest_parser ${CMAKE_CURRENT_SOURCE_DIR}/manifest_parser.cpp
  stockade_config)
stockade_fuzz_target(fuzz_config_parser ${CMAKE_CURRENT_SOURCE_DIR}/config_parser.cpp
  stockade_config)
