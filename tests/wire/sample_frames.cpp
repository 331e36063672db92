#include "sample_frames.h"

#include <cstring>
#include <stdexcept>
#include <utility>

#include "wire/frame_builder.h"

namespace stockade::wire::testing {
namespace {

void add(std::vector<SampleFrame>& out, std::string name, const Result<Frame>& frame) {
  // A sample that fails to encode is a bug in this file: a programming error.
  if (!frame.ok()) throw std::logic_error(name + ": " + frame.error().message());
  out.push_back({std::move(name), std::vector<std::uint8_t>(frame->begin(), frame->end())});
}

}  // namespace

std::vector<SampleFrame> sample_frames() {
  FrameBuilder b;
  std::vector<SampleFrame> out;
  const std::uint32_t versions[] = {1, 2};
  add(out, "hello", b.encode_hello(0, {versions, "echo", "1.2.3", "cookie-4f2a"}));
  add(out, "hello_ack", b.encode_hello_ack(0, {1, kDefaultMaxFrame, 8}));
  add(out, "hello_memfd", b.encode_hello(0, {versions, "echo", "1.2.3", "cookie-4f2a", true}));
  add(out, "hello_ack_memfd",
      b.encode_hello_ack(0, {1, kDefaultMaxFrame, 8, 256 * 1024, kSampleMaxMemfdPayload}));
  const std::vector<std::uint8_t> small(16, 0xab);
  add(out, "execute_request_16b", b.encode_execute_request(7, "echo", small, 500, 1));
  add(out, "execute_request_empty", b.encode_execute_request(8, "ping", {}, 0, 2));
  add(out, "execute_response", b.encode_execute_response(7, small));
  add(out, "execute_response_error",
      b.encode_execute_error(9, {fb::ErrorCode::DEADLINE_EXCEEDED, "took too long", true}));
  add(out, "cancel", b.encode_cancel(10, 7));
  add(out, "health_request", b.encode_health_request(11));
  add(out, "health_response", b.encode_health_response(11, fb::ServingStatus::NOT_SERVING, "busy"));
  add(out, "info_request", b.encode_info_request(12));
  const std::vector<std::string> capabilities = {"math", "text"};
  const std::vector<std::string> methods = {"add", "sub", "mul"};
  const std::vector<std::pair<std::string, std::string>> metadata = {{"author", "someone"},
                                                                    {"license", "MIT"}};
  add(out, "info_response",
      b.encode_info_response(
          12, {"calculator", "0.3.0", "adds numbers", capabilities, methods, metadata}));
  add(out, "close_request", b.encode_close_request(13, 2000));
  add(out, "error", b.encode_error(0, {fb::ErrorCode::UNIMPLEMENTED, "version 2 only", false}));
  return out;
}

std::vector<SampleFrame> memfd_sample_frames() {
  DecodeLimits limits;
  limits.max_memfd_payload = kSampleMaxMemfdPayload;
  FrameBuilder b(limits);
  std::vector<SampleFrame> out;
  add(out, "execute_request_memfd", b.encode_execute_request_memfd(14, "echo", 8u << 20, 500, 1));
  add(out, "execute_response_memfd", b.encode_execute_response_memfd(14, kSampleMaxMemfdPayload));
  return out;
}

AlignedBody::AlignedBody(const std::vector<std::uint8_t>& frame)
    : AlignedBody(frame.data() + kLengthPrefixSize, frame.size() - kLengthPrefixSize) {}

AlignedBody::AlignedBody(const std::uint8_t* data, std::size_t size)
    : words_(size / sizeof(std::uint64_t) + 1), size_(size) {
  if (size > 0) std::memcpy(words_.data(), data, size);
}

}  // namespace stockade::wire::testing
