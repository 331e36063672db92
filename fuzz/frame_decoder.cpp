// libFuzzer / AFL++ target: decode_frame on arbitrary bytes.
// Input: one frame body (the bytes after the length prefix).
// Seeds: fuzz/corpus/frame_decoder (written by make_corpus_wire).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "wire/describe.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Copy into 8-byte aligned storage, as FrameReader hands bodies out; the
  // fuzzer's own buffer carries no alignment promise.
  std::vector<std::uint64_t> words(size / sizeof(std::uint64_t) + 1);
  auto* body = reinterpret_cast<std::uint8_t*>(words.data());
  if (size > 0) std::memcpy(body, data, size);

  // As after a handshake that granted memfd payloads, so that their checks
  // are explored too (the default limits refuse every payload_memfd).
  stockade::wire::DecodeLimits limits;
  limits.max_memfd_payload = 1ull << 30;
  auto decoded = stockade::wire::decode_frame({body, size}, limits);
  if (!decoded.ok()) return 0;
  // Touch every field (ASan sees any read outside the body) and check that
  // what was accepted obeys the limits the encoder enforces.
  const std::string text = stockade::wire::describe(**decoded);
  if (text.empty()) std::abort();
  if (!stockade::wire::check_envelope(**decoded, limits).ok()) std::abort();
  return 0;
}
