// Writes the seed corpora of the wire fuzz targets:
//   <out>/frame_decoder/<sample>   one frame body (what decode_frame sees)
//   <out>/frame_reader/<name>      a chunking schedule + a byte stream, in the
//                                  format fuzz/frame_reader.cpp documents
// Run from the repository root:  build/tests/wire/make_corpus_wire fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sample_frames.h"
#include "wire/protocol.h"

namespace {

using Bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

bool write_file(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// The reader harness input: one byte k, then k schedule bytes (chunk sizes
// minus one, used in a cycle), then the stream.
// Sized once and filled by index: g++ 12 at -O3 reports a false
// -Warray-bounds on push_back followed by insert of a one-byte vector
// (a known libstdc++ inlining false positive, fixed in g++ 13).
Bytes reader_input(const Bytes& schedule, const Bytes& stream) {
  Bytes out(1 + schedule.size() + stream.size());
  out[0] = static_cast<std::uint8_t>(schedule.size());
  for (size_t i = 0; i < schedule.size(); ++i) out[1 + i] = schedule[i];
  for (size_t i = 0; i < stream.size(); ++i) out[1 + schedule.size() + i] = stream[i];
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (e.g. fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  const fs::path decoder_dir = root / "frame_decoder";
  const fs::path reader_dir = root / "frame_reader";
  fs::create_directories(decoder_dir);
  fs::create_directories(reader_dir);

  bool ok = true;
  Bytes all;
  for (const auto& sample : stockade::wire::testing::sample_frames()) {
    const Bytes body(sample.frame.begin() + stockade::wire::kLengthPrefixSize, sample.frame.end());
    ok &= write_file(decoder_dir / sample.name, body);
    ok &= write_file(reader_dir / sample.name, reader_input({}, sample.frame));
    all.insert(all.end(), sample.frame.begin(), sample.frame.end());
  }
  for (const auto& sample : stockade::wire::testing::memfd_sample_frames()) {
    const Bytes body(sample.frame.begin() + stockade::wire::kLengthPrefixSize, sample.frame.end());
    ok &= write_file(decoder_dir / sample.name, body);
  }
  ok &= write_file(reader_dir / "all_one_chunk", reader_input({}, all));
  ok &= write_file(reader_dir / "all_bytewise", reader_input({0}, all));
  ok &= write_file(reader_dir / "all_mixed_chunks", reader_input({2, 0, 6, 30, 200, 3}, all));
  ok &= write_file(reader_dir / "zero_length", reader_input({}, {0, 0, 0, 0, 1, 2}));
  ok &= write_file(reader_dir / "oversized_length", reader_input({1}, {0xff, 0xff, 0xff, 0x7f, 1}));
  ok &= write_file(reader_dir / "odd_lengths",
                   reader_input({0, 4}, {3, 0, 0, 0, 'a', 'b', 'c', 1, 0, 0, 0, 'd', 5, 0, 0, 0}));
  if (!ok) {
    std::fprintf(stderr, "make_corpus_wire: could not write under %s\n", root.c_str());
    return 1;
  }
  std::printf("wrote %s and %s\n", decoder_dir.c_str(), reader_dir.c_str());
  return 0;
}
