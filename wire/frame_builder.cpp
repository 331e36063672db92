#include "wire/frame_builder.h"

#include <algorithm>
#include <string>
#include <vector>

namespace stockade::wire {
namespace {

// Table headers, vtables, offsets and padding of the largest message, well
// above what any message of this schema adds to its variable-size fields.
constexpr std::size_t kOverheadPerItem = 16;

Error limit_error(std::string what) {
  return Error{Errc::limit, std::move(what), "FrameBuilder"};
}

}  // namespace

flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> FrameBuilder::create_bytes(
    std::span<const std::uint8_t> bytes) {
  // An empty payload is left out (it reads back as empty): smaller frames, and
  // no memcpy from a possibly null pointer.
  if (bytes.empty()) return 0;
  return fbb_.CreateVector(bytes.data(), bytes.size());
}

flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> FrameBuilder::reserve_bytes(std::size_t size) {
  if (size == 0) return 0;
  std::uint8_t* unused = nullptr;
  return fbb_.CreateUninitializedVector(size, sizeof(std::uint8_t), &unused);
}

FrameBuilder::PayloadIn FrameBuilder::placement(std::span<const std::uint8_t> payload) {
  return payload.size() >= kGatherPayloadFrom ? PayloadIn::callers_memory : PayloadIn::frame;
}

Result<GatheredFrame> FrameBuilder::split(Result<Frame> frame, PayloadIn in, flatbuffers::uoffset_t reserved,
                                          std::span<const std::uint8_t> payload) {
  if (!frame) return std::move(frame).error();
  if (in == PayloadIn::frame || reserved == 0) return GatheredFrame{*frame, {}, {}};
  // An offset counts from the buffer's end to the object (here the vector's
  // length field); the frame ends where the buffer does.
  const std::size_t start = frame->size() - reserved + sizeof(flatbuffers::uoffset_t);
  return GatheredFrame{frame->first(start), payload, frame->subspan(start + payload.size())};
}

GatheredFrame GatheredFrame::after(std::size_t n) const {
  GatheredFrame rest = *this;
  auto drop = [&n](auto& piece) {
    const std::size_t k = std::min(n, piece.size());
    piece = piece.subspan(k);
    n -= k;
  };
  drop(rest.head);
  drop(rest.payload);
  drop(rest.tail);
  return rest;
}

FrameBuilder::FrameBuilder(const DecodeLimits& limits, std::size_t initial_capacity)
    : limits_(limits), fbb_(initial_capacity) {
  limits_.max_frame = std::min(limits_.max_frame, kMaxFrameCeiling);
}

Status FrameBuilder::check_input_size(std::size_t bytes) const {
  if (bytes > limits_.max_frame) {
    return limit_error("message needs at least " + std::to_string(bytes) +
                       " bytes, more than max_frame " + std::to_string(limits_.max_frame));
  }
  return {};
}

Result<Frame> FrameBuilder::finish(std::uint64_t id, fb::Body type,
                                   flatbuffers::Offset<void> body) {
  fb::EnvelopeBuilder envelope(fbb_);
  envelope.add_id(id);
  envelope.add_body(body);
  envelope.add_body_type(type);
  // A message without 8-byte fields (id 0 is left out as a default) would be
  // only 4-aligned; the receiver keeps bodies at kBodyAlignment, so make the
  // body's size a multiple of it in every case.
  fbb_.TrackMinAlign(kBodyAlignment);
  fbb_.Finish(envelope.Finish(), kFileIdentifier);
  // Finish (not FinishSizePrefixed) aligns the body to its own first byte and
  // makes its size a multiple of its alignment, so the receiver can verify the
  // body alone with alignment checks on. The length then goes in front of it
  // in the same buffer: no copy.
  const std::size_t body_size = fbb_.GetSize();
  if (body_size > limits_.max_frame) {
    return limit_error(std::string(body_name(type)) + " frame body has " +
                       std::to_string(body_size) + " bytes (limit " +
                       std::to_string(limits_.max_frame) + ")");
  }
  fbb_.PushElement<std::uint32_t>(static_cast<std::uint32_t>(body_size));
  const std::uint8_t* data = fbb_.GetBufferPointer();
  // Holding our own output to the peer's rules turns a bug of ours into an
  // error here rather than a protocol violation that gets us killed.
  const auto* root = flatbuffers::GetRoot<fb::Envelope>(data + kLengthPrefixSize);
  if (auto st = check_envelope(*root, limits_); !st) {
    Error e = std::move(st).error();
    e.code = Errc::invalid_input;
    e.where = "FrameBuilder";
    return e;
  }
  return Frame(data, fbb_.GetSize());
}

Result<Frame> FrameBuilder::encode_hello(std::uint64_t id, const HelloInfo& hello) {
  fbb_.Clear();
  if (auto st = check_input_size(hello.versions.size() * sizeof(std::uint32_t) + hello.name.size() +
                                 hello.version.size() + hello.cookie.size());
      !st) {
    return std::move(st).error();
  }
  auto versions = fbb_.CreateVector(hello.versions.data(), hello.versions.size());
  auto name = fbb_.CreateString(hello.name);
  auto version = fbb_.CreateString(hello.version);
  auto cookie = fbb_.CreateString(hello.cookie);
  auto body = fb::CreateHello(fbb_, versions, name, version, cookie, hello.memfd_payloads);
  return finish(id, fb::Body::Hello, body.Union());
}

Result<Frame> FrameBuilder::encode_hello_ack(std::uint64_t id, const HelloAckInfo& ack) {
  fbb_.Clear();
  auto body = fb::CreateHelloAck(fbb_, ack.version, ack.max_frame, ack.max_concurrency,
                                 ack.memfd_threshold, ack.max_payload);
  return finish(id, fb::Body::HelloAck, body.Union());
}

Result<GatheredFrame> FrameBuilder::execute_request(std::uint64_t id, std::string_view method,
                                                   std::span<const std::uint8_t> payload, std::uint64_t deadline_ms,
                                                   std::uint32_t attempt, PayloadIn in) {
  fbb_.Clear();
  if (auto st = check_input_size(method.size() + payload.size()); !st) {
    return std::move(st).error();
  }
  auto payload_offset = in == PayloadIn::frame ? create_bytes(payload) : reserve_bytes(payload.size());
  auto method_offset = fbb_.CreateString(method);
  auto body = fb::CreateExecuteRequest(fbb_, method_offset, payload_offset, deadline_ms, attempt);
  return split(finish(id, fb::Body::ExecuteRequest, body.Union()), in, payload_offset.o, payload);
}

Result<GatheredFrame> FrameBuilder::execute_response(std::uint64_t id, std::span<const std::uint8_t> payload,
                                                    PayloadIn in) {
  fbb_.Clear();
  if (auto st = check_input_size(payload.size()); !st) return std::move(st).error();
  auto payload_offset = in == PayloadIn::frame ? create_bytes(payload) : reserve_bytes(payload.size());
  auto body = fb::CreateExecuteResponse(fbb_, payload_offset);
  return split(finish(id, fb::Body::ExecuteResponse, body.Union()), in, payload_offset.o, payload);
}

Result<Frame> FrameBuilder::encode_execute_request(std::uint64_t id, std::string_view method,
                                                   std::span<const std::uint8_t> payload,
                                                   std::uint64_t deadline_ms,
                                                   std::uint32_t attempt) {
  auto frame = execute_request(id, method, payload, deadline_ms, attempt, PayloadIn::frame);
  if (!frame) return std::move(frame).error();
  return frame->head;
}

Result<GatheredFrame> FrameBuilder::encode_execute_request_gathered(std::uint64_t id, std::string_view method,
                                                                   std::span<const std::uint8_t> payload,
                                                                   std::uint64_t deadline_ms,
                                                                   std::uint32_t attempt) {
  return execute_request(id, method, payload, deadline_ms, attempt, placement(payload));
}

Result<Frame> FrameBuilder::encode_execute_request_memfd(std::uint64_t id, std::string_view method,
                                                         std::uint64_t payload_size,
                                                         std::uint64_t deadline_ms,
                                                         std::uint32_t attempt) {
  fbb_.Clear();
  if (auto st = check_input_size(method.size()); !st) return std::move(st).error();
  auto method_offset = fbb_.CreateString(method);
  auto body = fb::CreateExecuteRequest(fbb_, method_offset, 0, deadline_ms, attempt, payload_size);
  return finish(id, fb::Body::ExecuteRequest, body.Union());
}

Result<Frame> FrameBuilder::encode_execute_response_memfd(std::uint64_t id,
                                                          std::uint64_t payload_size) {
  fbb_.Clear();
  auto body = fb::CreateExecuteResponse(fbb_, 0, 0, payload_size);
  return finish(id, fb::Body::ExecuteResponse, body.Union());
}

Result<Frame> FrameBuilder::encode_execute_response(std::uint64_t id,
                                                    std::span<const std::uint8_t> payload) {
  auto frame = execute_response(id, payload, PayloadIn::frame);
  if (!frame) return std::move(frame).error();
  return frame->head;
}

Result<GatheredFrame> FrameBuilder::encode_execute_response_gathered(std::uint64_t id,
                                                                    std::span<const std::uint8_t> payload) {
  return execute_response(id, payload, placement(payload));
}

Result<Frame> FrameBuilder::encode_execute_error(std::uint64_t id, const ErrorInfo& error) {
  fbb_.Clear();
  if (auto st = check_input_size(error.message.size()); !st) return std::move(st).error();
  auto message = fbb_.CreateString(error.message);
  auto error_offset = fb::CreateError(fbb_, error.code, message, error.retryable);
  auto body = fb::CreateExecuteResponse(fbb_, 0, error_offset);
  return finish(id, fb::Body::ExecuteResponse, body.Union());
}

Result<Frame> FrameBuilder::encode_cancel(std::uint64_t id, std::uint64_t cancelled_id) {
  fbb_.Clear();
  auto body = fb::CreateCancel(fbb_, cancelled_id);
  return finish(id, fb::Body::Cancel, body.Union());
}

Result<Frame> FrameBuilder::encode_health_request(std::uint64_t id) {
  fbb_.Clear();
  auto body = fb::CreateHealthRequest(fbb_);
  return finish(id, fb::Body::HealthRequest, body.Union());
}

Result<Frame> FrameBuilder::encode_health_response(std::uint64_t id, fb::ServingStatus status,
                                                   std::string_view message) {
  fbb_.Clear();
  if (auto st = check_input_size(message.size()); !st) return std::move(st).error();
  auto message_offset = fbb_.CreateString(message);
  auto body = fb::CreateHealthResponse(fbb_, status, message_offset);
  return finish(id, fb::Body::HealthResponse, body.Union());
}

Result<Frame> FrameBuilder::encode_info_request(std::uint64_t id) {
  fbb_.Clear();
  auto body = fb::CreateInfoRequest(fbb_);
  return finish(id, fb::Body::InfoRequest, body.Union());
}

Result<Frame> FrameBuilder::encode_info_response(std::uint64_t id, const InfoResponseInfo& info) {
  fbb_.Clear();
  std::size_t input = info.name.size() + info.version.size() + info.description.size();
  for (const auto& s : info.capabilities) input += s.size() + kOverheadPerItem;
  for (const auto& s : info.methods) input += s.size() + kOverheadPerItem;
  for (const auto& [key, value] : info.metadata) {
    input += key.size() + value.size() + 2 * kOverheadPerItem;
  }
  if (auto st = check_input_size(input); !st) return std::move(st).error();
  // Also refuse long lists before building them: the decoder would, and
  // building first would allocate for nothing.
  const std::size_t max_items = limits_.max_list_items;
  if (info.capabilities.size() > max_items || info.methods.size() > max_items ||
      info.metadata.size() > max_items) {
    return limit_error("InfoResponse has a list of more than " + std::to_string(max_items) +
                       " items");
  }

  auto name = fbb_.CreateString(info.name);
  auto version = fbb_.CreateString(info.version);
  auto description = fbb_.CreateString(info.description);
  std::vector<flatbuffers::Offset<flatbuffers::String>> strings;
  strings.reserve(std::max(info.capabilities.size(), info.methods.size()));
  for (const auto& s : info.capabilities) strings.push_back(fbb_.CreateString(s));
  auto capabilities = fbb_.CreateVector(strings);
  strings.clear();
  for (const auto& s : info.methods) strings.push_back(fbb_.CreateString(s));
  auto methods = fbb_.CreateVector(strings);
  std::vector<flatbuffers::Offset<fb::KeyValue>> entries;
  entries.reserve(info.metadata.size());
  for (const auto& [key, value] : info.metadata) {
    entries.push_back(fb::CreateKeyValue(fbb_, fbb_.CreateString(key), fbb_.CreateString(value)));
  }
  auto metadata = fbb_.CreateVector(entries);
  auto body = fb::CreateInfoResponse(fbb_, name, version, description, capabilities, methods,
                                     metadata);
  return finish(id, fb::Body::InfoResponse, body.Union());
}

Result<Frame> FrameBuilder::encode_close_request(std::uint64_t id, std::uint32_t grace_ms) {
  fbb_.Clear();
  auto body = fb::CreateCloseRequest(fbb_, grace_ms);
  return finish(id, fb::Body::CloseRequest, body.Union());
}

Result<Frame> FrameBuilder::encode_error(std::uint64_t id, const ErrorInfo& error) {
  fbb_.Clear();
  if (auto st = check_input_size(error.message.size()); !st) return std::move(st).error();
  auto message = fbb_.CreateString(error.message);
  auto body = fb::CreateError(fbb_, error.code, message, error.retryable);
  return finish(id, fb::Body::Error, body.Union());
}

}  // namespace stockade::wire
