// libFuzzer / AFL++ target: the control socket's decoder on arbitrary bytes.
// Input: one frame body (the bytes after the length prefix), as the daemon's
// FrameReader hands it to decode_control.
// Seeds: fuzz/corpus/control_decoder (written by make_corpus_control).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "control/builder.h"
#include "control/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Copy into 8-byte aligned storage, as FrameReader hands bodies out; the
  // fuzzer's own buffer carries no alignment promise.
  std::vector<std::uint64_t> words(size / sizeof(std::uint64_t) + 1);
  auto* body = reinterpret_cast<std::uint8_t*>(words.data());
  if (size > 0) std::memcpy(body, data, size);

  auto decoded = stockade::control::decode_control({body, size});
  if (!decoded.ok()) return 0;
  // read_message touches every field (ASan sees any read outside the body).
  const stockade::control::Message message = stockade::control::read_message(**decoded);
  // What the decoder accepted, our encoder must encode, and that frame must
  // decode to the same message: the two ends agree on every rule.
  stockade::control::ControlBuilder builder;
  auto frame = builder.encode(message);
  if (!frame.ok()) std::abort();
  std::vector<std::uint64_t> again(frame->size() / sizeof(std::uint64_t) + 1);
  auto* again_body = reinterpret_cast<std::uint8_t*>(again.data());
  const std::size_t again_size = frame->size() - stockade::control::kLengthPrefixSize;
  std::memcpy(again_body, frame->data() + stockade::control::kLengthPrefixSize, again_size);
  auto reread = stockade::control::decode_message({again_body, again_size});
  if (!reread.ok() || !(*reread == message)) std::abort();
  return 0;
}
