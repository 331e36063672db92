// Encoding: ControlBuilder turns one message into one whole frame (the 4-byte
// little-endian length, then the FlatBuffer body finished with Finish, size a
// multiple of 8) in one buffer it owns and reuses, as wire::FrameBuilder does
// for the plugin wire. The daemon and every client use it.
//
// Each encode returns a span over the frame, valid until the next encode or
// the builder's destruction. A frame the peer's decoder would refuse under the
// builder's ControlLimits (too big, a string or list over its bound, a
// missing required field, a request with id 0) is refused here with
// Errc::limit or Errc::invalid_input instead of being sent.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "control/decoder.h"
#include "control/messages.h"
#include "stockade/result.h"
#include "wire/frame_builder.h"

namespace stockade::control {

using Frame = wire::Frame;  // prefix + body, ready for write(2)

class ControlBuilder {
 public:
  explicit ControlBuilder(const ControlLimits& limits = {}, std::size_t initial_capacity = 1024);

  // The two messages that carry payloads, without copying them into a struct.
  Result<Frame> encode_call(std::uint64_t id, std::string_view plugin, std::string_view method,
                            std::span<const std::uint8_t> payload,
                            std::optional<std::uint32_t> timeout_ms = std::nullopt,
                            std::optional<bool> idempotent = std::nullopt);
  Result<Frame> encode_call_reply(std::uint64_t id, std::span<const std::uint8_t> payload);

  // One overload a body kind.
  Result<Frame> encode(std::uint64_t id, const CallRequest& m);
  Result<Frame> encode(std::uint64_t id, const CallReplyInfo& m);
  Result<Frame> encode(std::uint64_t id, const ErrorInfo& m);
  Result<Frame> encode(std::uint64_t id, const StatusRequest& m);
  Result<Frame> encode(std::uint64_t id, const StatusReplyInfo& m);
  Result<Frame> encode(std::uint64_t id, const InfoRequest& m);
  Result<Frame> encode(std::uint64_t id, const InfoReplyInfo& m);
  Result<Frame> encode(std::uint64_t id, const HealthRequest& m);
  Result<Frame> encode(std::uint64_t id, const HealthReplyInfo& m);
  Result<Frame> encode(std::uint64_t id, const ReloadRequest& m);
  Result<Frame> encode(std::uint64_t id, const ReloadReplyInfo& m);
  Result<Frame> encode(std::uint64_t id, const RestartRequest& m);
  Result<Frame> encode(std::uint64_t id, const RestartReplyInfo& m);
  Result<Frame> encode(std::uint64_t id, const MetricsRequest& m);
  Result<Frame> encode(std::uint64_t id, const MetricsReplyInfo& m);
  // Whichever body `message` holds.
  Result<Frame> encode(const Message& message);

  const ControlLimits& limits() const { return limits_; }

 private:
  // Finishes the envelope, prepends the length and checks the result.
  Result<Frame> finish(std::uint64_t id, fb::Body type, flatbuffers::Offset<void> body);
  // Refuses inputs whose sheer size already exceeds max_frame, before the
  // FlatBufferBuilder allocates for them.
  Status check_input_size(std::size_t bytes) const;
  Status check_list_size(const char* field, std::size_t items, std::size_t limit) const;
  flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> create_bytes(
      std::span<const std::uint8_t> bytes);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> create_strings(
      const std::vector<std::string>& items);

  ControlLimits limits_;
  flatbuffers::FlatBufferBuilder fbb_;
};

}  // namespace stockade::control
