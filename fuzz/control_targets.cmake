# Control protocol fuzz targets (included by fuzz/CMakeLists.txt). Seeds in
# fuzz/corpus/control_decoder/ come from tests/control/make_corpus_control
# (see docs/control-protocol.md).
stockade_fuzz_target(fuzz_control_decoder ${CMAKE_CURRENT_SOURCE_DIR}/control_decoder_fuzz.cpp
  stockade_control)
