# fuzz_whitelist_parser: the whitelist text parser on arbitrary bytes.
# Seeds: fuzz/corpus/whitelist_parser/ (valid-* parse, invalid-* are refused;
# tests/whitelist/corpus_test.cpp holds them to their names).
stockade_fuzz_target(fuzz_whitelist_parser ${CMAKE_CURRENT_SOURCE_DIR}/whitelist_parser.cpp
  stockade_whitelist)
