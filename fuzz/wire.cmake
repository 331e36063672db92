# Wire fuzz targets (included by fuzz/CMakeLists.txt). Seeds in
# fuzz/corpus/<target>/ come from tests/wire/make_corpus_wire (see docs/wire-protocol.md).
stockade_fuzz_target(fuzz_frame_decoder ${CMAKE_CURRENT_SOURCE_DIR}/frame_decoder.cpp stockade_wire)
stockade_fuzz_target(fuzz_frame_reader ${CMAKE_CURRENT_SOURCE_DIR}/frame_reader.cpp stockade_wire)
