// One valid frame of every message kind (and a few variants), shared by the
// wire tests and the fuzz corpus generator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wire/protocol.h"

namespace stockade::wire::testing {

struct SampleFrame {
  std::string name;                 // e.g. "execute_request_16b"; a file name in the corpus
  std::vector<std::uint8_t> frame;  // length prefix + body
};

// Every body kind of the schema appears at least once.
std::vector<SampleFrame> sample_frames();

// The limits of a handshake that granted memfd payloads up to 1 GiB.
inline constexpr std::uint64_t kSampleMaxMemfdPayload = 1ull << 30;
// Execute frames announcing a payload memfd: they decode only under limits
// with max_memfd_payload of at least kSampleMaxMemfdPayload.
std::vector<SampleFrame> memfd_sample_frames();

// The frame's body (after the prefix) copied to an 8-byte aligned buffer, as
// FrameReader would hand it out.
class AlignedBody {
 public:
  explicit AlignedBody(const std::vector<std::uint8_t>& frame);
  explicit AlignedBody(const std::uint8_t* data, std::size_t size);
  const std::uint8_t* data() const { return reinterpret_cast<const std::uint8_t*>(words_.data()); }
  std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(words_.data()); }
  std::size_t size() const { return size_; }

 private:
  std::vector<std::uint64_t> words_;
  std::size_t size_;
};

}  // namespace stockade::wire::testing
