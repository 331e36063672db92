// libFuzzer / AFL++ target: FrameReader fed a stream in a chunking the input
// chooses, cross-checked against the same stream fed in one piece.
//
// Input format: byte k, then k schedule bytes, then the stream. Chunk i has
// size schedule[i % k] + 1; k = 0 means the whole stream in one chunk.
// Seeds: fuzz/corpus/frame_reader (written by make_corpus_wire).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "wire/describe.h"
#include "wire/frame_decoder.h"
#include "wire/frame_reader.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

// Small enough that the fuzzer reaches the oversized-length path often.
constexpr std::uint32_t kMaxFrame = 64 * 1024;

struct Outcome {
  std::vector<Bytes> bodies;
  bool failed = false;
};

// Takes every complete frame; decodes each, as the supervisor would.
void drain(stockade::wire::FrameReader& reader, Outcome& out) {
  while (!out.failed) {
    auto next = reader.next();
    if (!next.ok()) {
      out.failed = true;
      return;
    }
    if (!*next) return;
    const auto body = **next;
    if (reinterpret_cast<std::uintptr_t>(body.data()) % stockade::wire::kBodyAlignment != 0) {
      std::abort();
    }
    auto decoded = stockade::wire::decode_frame(body, {.max_frame = kMaxFrame});
    if (decoded.ok()) (void)stockade::wire::describe(**decoded);
    out.bodies.emplace_back(body.begin(), body.end());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t k = std::min<std::size_t>(data[0], size - 1);
  const std::span<const std::uint8_t> schedule(data + 1, k);
  const std::span<const std::uint8_t> stream(data + 1 + k, size - 1 - k);

  // Chunked, alternating prepare/commit and append.
  stockade::wire::FrameReader chunked(kMaxFrame, 512);
  Outcome a;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < stream.size() && !a.failed; ++i) {
    const std::size_t want = schedule.empty() ? stream.size() : schedule[i % k] + 1u;
    const std::size_t n = std::min(want, stream.size() - pos);
    if (i % 2 == 0) {
      auto space = chunked.prepare(n);
      if (space.empty()) std::abort();  // drained and not failed: room must exist
      std::memcpy(space.data(), stream.data() + pos, space.size());
      chunked.commit(space.size());
      pos += space.size();
    } else {
      if (!chunked.append(stream.subspan(pos, n)).ok()) std::abort();
      pos += n;
    }
    drain(chunked, a);
  }

  // The same stream at once: same frames, same verdict.
  stockade::wire::FrameReader whole(kMaxFrame, 512);
  Outcome b;
  if (!whole.append(stream).ok()) std::abort();
  drain(whole, b);

  if (a.failed != b.failed || a.bodies != b.bodies) std::abort();
  return 0;
}
