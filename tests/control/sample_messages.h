// One message of every control body kind (and a few variants), shared by the
// control tests and the fuzz corpus generator (make_corpus_control).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "control/messages.h"

namespace stockade::control::testing {

struct SampleMessage {
  std::string name;  // e.g. "call_16b"; a file name in the corpus
  Message message;
};

// Every body kind of the schema appears at least once.
std::vector<SampleMessage> sample_messages();

// A frame's body (after the prefix) copied to 8-byte aligned storage, as
// wire::FrameReader hands it out.
class AlignedBody {
 public:
  explicit AlignedBody(std::span<const std::uint8_t> frame_or_body, bool has_prefix = true);
  std::span<const std::uint8_t> span() const { return {data(), size_}; }
  const std::uint8_t* data() const { return reinterpret_cast<const std::uint8_t*>(words_.data()); }
  std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(words_.data()); }
  std::size_t size() const { return size_; }

 private:
  std::vector<std::uint64_t> words_;
  std::size_t size_;
};

}  // namespace stockade::control::testing
