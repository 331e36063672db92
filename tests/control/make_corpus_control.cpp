// Writes the seed corpus of the control decoder's fuzz target:
//   <out>/control_decoder/<sample>   one frame body (what decode_control sees)
// Run from the repository root:  build/tests/control/make_corpus_control fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "control/builder.h"
#include "sample_messages.h"

namespace {

namespace fs = std::filesystem;

bool write_file(const fs::path& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (e.g. fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const fs::path dir = fs::path(argv[1]) / "control_decoder";
  fs::create_directories(dir);
  stockade::control::ControlBuilder builder;
  bool ok = true;
  for (const auto& sample : stockade::control::testing::sample_messages()) {
    auto frame = builder.encode(sample.message);
    if (!frame) {
      std::fprintf(stderr, "make_corpus_control: %s: %s\n", sample.name.c_str(),
                   frame.error().message().c_str());
      return 1;
    }
    ok &= write_file(dir / sample.name, frame->subspan(stockade::control::kLengthPrefixSize));
  }
  if (!ok) {
    std::fprintf(stderr, "make_corpus_control: could not write under %s\n", dir.c_str());
    return 1;
  }
  std::printf("wrote %s\n", dir.c_str());
  return 0;
}
