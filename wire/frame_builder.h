// Encoding: FrameBuilder turns one message into one whole frame (the 4-byte
// little-endian length followed by the FlatBuffer body) in a single contiguous
// buffer that it owns and reuses, so a frame costs no allocation once warm and
// no copy beyond FlatBuffers' own copy of the payload.
//
// Every encode_* returns a span over the frame, valid until the next encode_*
// call or the builder's destruction. A frame that the peer's decoder would
// refuse under the builder's DecodeLimits (too big, a string or list over its
// bound, a missing required field) is refused here with Errc::limit or
// Errc::invalid_input instead of being sent.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "stockade/result.h"
#include "wire/frame_decoder.h"
#include "wire/messages.h"

namespace stockade::wire {

// A whole frame: prefix + body, ready for write(2).
using Frame = std::span<const std::uint8_t>;

// A whole frame in three pieces, for a large payload that should leave from
// where its owner keeps it (one writev/sendmsg, no copy into the builder):
// the frame's bytes before the payload, the payload, and the padding after
// it. Written in that order they are exactly the frame encode_* would make.
struct GatheredFrame {
  Frame head;
  std::span<const std::uint8_t> payload;
  Frame tail;

  std::size_t size() const { return head.size() + payload.size() + tail.size(); }
  // The pieces left once the first `n` bytes are written.
  GatheredFrame after(std::size_t n) const;
};

// Payloads from this size are worth gathering: a copy of 16 KiB (about
// 0.5 us) costs about what a sendmsg of its own does, and below it small
// frames keep leaving together in one send(2). docs/benchmarks.md, "Copies".
inline constexpr std::size_t kGatherPayloadFrom = 16 * 1024;

// The fields of an Error, as a body of its own or inside an ExecuteResponse.
struct ErrorInfo {
  fb::ErrorCode code = fb::ErrorCode::UNKNOWN;
  std::string_view message;
  bool retryable = false;
};

struct HelloInfo {
  std::span<const std::uint32_t> versions;  // protocol versions spoken
  std::string_view name;
  std::string_view version;
  std::string_view cookie;  // the value of STOCKADE_PLUGIN_COOKIE
  bool memfd_payloads = false;  // takes and sends payloads in sealed memfds
};

struct HelloAckInfo {
  std::uint32_t version = kProtocolVersion;
  std::uint32_t max_frame = kDefaultMaxFrame;
  std::uint32_t max_concurrency = 1;
  std::uint32_t memfd_threshold = 0;  // payloads from this size go in memfds; 0: never
  std::uint64_t max_payload = 0;      // largest memfd payload either way
};

struct InfoResponseInfo {
  std::string_view name;
  std::string_view version;
  std::string_view description;
  std::span<const std::string> capabilities;
  std::span<const std::string> methods;
  std::span<const std::pair<std::string, std::string>> metadata;
};

class FrameBuilder {
 public:
  // `limits` bound what this builder agrees to encode (the peer's decoder uses
  // the same defaults); `initial_capacity` is the first buffer size in bytes.
  explicit FrameBuilder(const DecodeLimits& limits = {}, std::size_t initial_capacity = 1024);

  Result<Frame> encode_hello(std::uint64_t id, const HelloInfo& hello);
  Result<Frame> encode_hello_ack(std::uint64_t id, const HelloAckInfo& ack);
  Result<Frame> encode_execute_request(std::uint64_t id, std::string_view method,
                                       std::span<const std::uint8_t> payload,
                                       std::uint64_t deadline_ms, std::uint32_t attempt);
  // The same with the payload in a sealed memfd of `payload_size` bytes that
  // the caller passes with the frame (SCM_RIGHTS); needs limits().max_memfd_payload.
  Result<Frame> encode_execute_request_memfd(std::uint64_t id, std::string_view method,
                                             std::uint64_t payload_size, std::uint64_t deadline_ms,
                                             std::uint32_t attempt);
  Result<Frame> encode_execute_response_memfd(std::uint64_t id, std::uint64_t payload_size);
  // A successful response (no error field).
  Result<Frame> encode_execute_response(std::uint64_t id, std::span<const std::uint8_t> payload);
  // The same two frames with a payload of kGatherPayloadFrom bytes or more
  // left where it is (a smaller one is copied into `head`, and `payload` and
  // `tail` are empty): the head and tail are valid until the next encode_*,
  // the payload for as long as its owner keeps it.
  Result<GatheredFrame> encode_execute_request_gathered(std::uint64_t id, std::string_view method,
                                                        std::span<const std::uint8_t> payload,
                                                        std::uint64_t deadline_ms, std::uint32_t attempt);
  Result<GatheredFrame> encode_execute_response_gathered(std::uint64_t id,
                                                         std::span<const std::uint8_t> payload);
  // A failed response: ExecuteResponse with `error` set and no payload.
  Result<Frame> encode_execute_error(std::uint64_t id, const ErrorInfo& error);
  Result<Frame> encode_cancel(std::uint64_t id, std::uint64_t cancelled_id);
  Result<Frame> encode_health_request(std::uint64_t id);
  Result<Frame> encode_health_response(std::uint64_t id, fb::ServingStatus status,
                                       std::string_view message);
  Result<Frame> encode_info_request(std::uint64_t id);
  Result<Frame> encode_info_response(std::uint64_t id, const InfoResponseInfo& info);
  Result<Frame> encode_close_request(std::uint64_t id, std::uint32_t grace_ms);
  // An Error as the whole body (e.g. the supervisor refusing a Hello).
  Result<Frame> encode_error(std::uint64_t id, const ErrorInfo& error);

  const DecodeLimits& limits() const { return limits_; }

 private:
  // Finishes the envelope, prepends the length and checks the result.
  Result<Frame> finish(std::uint64_t id, fb::Body type, flatbuffers::Offset<void> body);
  // Refuses inputs whose sheer size already exceeds max_frame, before the
  // FlatBufferBuilder allocates for them.
  Status check_input_size(std::size_t bytes) const;
  flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> create_bytes(
      std::span<const std::uint8_t> bytes);
  // Room for the payload's vector, its bytes left unwritten (they are sent
  // from the caller's memory); the first object built, so it ends the frame.
  flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> reserve_bytes(std::size_t size);
  // Where an Execute frame's payload goes: copied into it, or left in the
  // caller's memory (reserved, and split around by split()).
  enum class PayloadIn { frame, callers_memory };
  static PayloadIn placement(std::span<const std::uint8_t> payload);
  Result<GatheredFrame> execute_request(std::uint64_t id, std::string_view method,
                                        std::span<const std::uint8_t> payload, std::uint64_t deadline_ms,
                                        std::uint32_t attempt, PayloadIn in);
  Result<GatheredFrame> execute_response(std::uint64_t id, std::span<const std::uint8_t> payload, PayloadIn in);
  // A finished frame as pieces: whole in `head` when the payload is in it,
  // else split around the payload reserved at offset `reserved`.
  static Result<GatheredFrame> split(Result<Frame> frame, PayloadIn in, flatbuffers::uoffset_t reserved,
                                     std::span<const std::uint8_t> payload);

  DecodeLimits limits_;
  flatbuffers::FlatBufferBuilder fbb_;
};

}  // namespace stockade::wire
