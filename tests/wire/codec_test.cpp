// Encoder and decoder: every message kind survives a round trip, and each
// rule of the decoder refuses what it should with an error naming the field.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sample_frames.h"
#include "wire/describe.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"

namespace stockade::wire {
namespace {

using testing::AlignedBody;

// Decodes a frame produced by FrameBuilder in place (its body is aligned).
// Throws on failure so the test fails instead of following a null pointer.
const fb::Envelope* decode_ok(Frame frame) {
  auto decoded = decode_frame(frame.subspan(kLengthPrefixSize));
  if (!decoded.ok()) throw std::runtime_error(decoded.error().message());
  return *decoded;
}

std::uint32_t prefix_of(Frame frame) {
  return frame[0] | frame[1] << 8 | frame[2] << 16 | static_cast<std::uint32_t>(frame[3]) << 24;
}

TEST(FrameBuilder, FrameIsLengthPrefixedAlignedBody) {
  FrameBuilder b;
  for (std::size_t size : {0u, 1u, 16u, 1000u}) {
    std::vector<std::uint8_t> payload(size, 1);
    auto frame = b.encode_execute_request(1, "m", payload, 1, 1);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(prefix_of(*frame), frame->size() - kLengthPrefixSize);
    EXPECT_EQ((frame->size() - kLengthPrefixSize) % kBodyAlignment, 0u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(frame->data() + kLengthPrefixSize) % kBodyAlignment,
              0u);
  }
}

TEST(RoundTrip, Hello) {
  FrameBuilder b;
  const std::uint32_t versions[] = {1, 7};
  auto frame = b.encode_hello(3, {versions, "echo", "1.0", "c00kie"});
  ASSERT_TRUE(frame.ok()) << frame.error().message();
  const auto* e = decode_ok(*frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->id(), 3u);
  const auto* m = e->body_as_Hello();
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->versions()->size(), 2u);
  EXPECT_EQ(m->versions()->Get(1), 7u);
  EXPECT_EQ(view(m->name()), "echo");
  EXPECT_EQ(view(m->version()), "1.0");
  EXPECT_EQ(view(m->cookie()), "c00kie");
}

TEST(RoundTrip, HelloAck) {
  FrameBuilder b;
  auto frame = b.encode_hello_ack(4, {1, 65536, 32});
  ASSERT_TRUE(frame.ok());
  const auto* m = decode_ok(*frame)->body_as_HelloAck();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->version(), 1u);
  EXPECT_EQ(m->max_frame(), 65536u);
  EXPECT_EQ(m->max_concurrency(), 32u);
}

TEST(RoundTrip, ExecuteRequest) {
  FrameBuilder b;
  std::vector<std::uint8_t> payload(64 * 1024);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  auto frame = b.encode_execute_request(0xfffffffffffffff0u, "calc.add", payload, 1500, 3);
  ASSERT_TRUE(frame.ok());
  const auto* e = decode_ok(*frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->id(), 0xfffffffffffffff0u);
  const auto* m = e->body_as_ExecuteRequest();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(view(m->method()), "calc.add");
  auto got = bytes(m->payload());
  EXPECT_EQ(std::vector<std::uint8_t>(got.begin(), got.end()), payload);
  EXPECT_EQ(m->deadline_ms(), 1500u);
  EXPECT_EQ(m->attempt(), 3u);
}

TEST(RoundTrip, ExecuteResponseWithPayloadHasNoError) {
  FrameBuilder b;
  const std::uint8_t payload[] = {1, 2, 3};
  auto frame = b.encode_execute_response(5, payload);
  ASSERT_TRUE(frame.ok());
  const auto* m = decode_ok(*frame)->body_as_ExecuteResponse();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(bytes(m->payload()).size(), 3u);
  EXPECT_EQ(m->error(), nullptr);
}

TEST(RoundTrip, ExecuteResponseWithError) {
  FrameBuilder b;
  auto frame = b.encode_execute_error(6, {fb::ErrorCode::RESOURCE_EXHAUSTED, "queue full", true});
  ASSERT_TRUE(frame.ok());
  const auto* m = decode_ok(*frame)->body_as_ExecuteResponse();
  ASSERT_NE(m, nullptr);
  ASSERT_NE(m->error(), nullptr);
  EXPECT_EQ(m->error()->code(), fb::ErrorCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(view(m->error()->message()), "queue full");
  EXPECT_TRUE(m->error()->retryable());
  EXPECT_TRUE(bytes(m->payload()).empty());
}

TEST(RoundTrip, CancelHealthInfoClose) {
  FrameBuilder b;
  auto cancel = b.encode_cancel(1, 42);
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(decode_ok(*cancel)->body_as_Cancel()->id(), 42u);

  auto health = b.encode_health_request(2);
  ASSERT_TRUE(health.ok());
  EXPECT_NE(decode_ok(*health)->body_as_HealthRequest(), nullptr);

  auto health_response = b.encode_health_response(2, fb::ServingStatus::NOT_SERVING, "draining");
  ASSERT_TRUE(health_response.ok());
  const auto* hr = decode_ok(*health_response)->body_as_HealthResponse();
  ASSERT_NE(hr, nullptr);
  EXPECT_EQ(hr->status(), fb::ServingStatus::NOT_SERVING);
  EXPECT_EQ(view(hr->message()), "draining");

  auto info = b.encode_info_request(3);
  ASSERT_TRUE(info.ok());
  EXPECT_NE(decode_ok(*info)->body_as_InfoRequest(), nullptr);

  auto close = b.encode_close_request(4, 2500);
  ASSERT_TRUE(close.ok());
  EXPECT_EQ(decode_ok(*close)->body_as_CloseRequest()->grace_ms(), 2500u);
}

TEST(RoundTrip, InfoResponse) {
  FrameBuilder b;
  const std::vector<std::string> caps = {"a", "b"};
  const std::vector<std::string> methods = {"add", "sub", "mul"};
  const std::vector<std::pair<std::string, std::string>> meta = {{"k1", "v1"}, {"k2", ""}};
  auto frame = b.encode_info_response(9, {"calc", "2.0", "adds", caps, methods, meta});
  ASSERT_TRUE(frame.ok()) << frame.error().message();
  const auto* m = decode_ok(*frame)->body_as_InfoResponse();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(view(m->name()), "calc");
  EXPECT_EQ(view(m->version()), "2.0");
  EXPECT_EQ(view(m->description()), "adds");
  ASSERT_EQ(m->capabilities()->size(), 2u);
  EXPECT_EQ(view(m->capabilities()->Get(1)), "b");
  ASSERT_EQ(m->methods()->size(), 3u);
  EXPECT_EQ(view(m->methods()->Get(2)), "mul");
  ASSERT_EQ(m->metadata()->size(), 2u);
  EXPECT_EQ(view(m->metadata()->Get(0)->key()), "k1");
  EXPECT_EQ(view(m->metadata()->Get(0)->value()), "v1");
}

TEST(RoundTrip, ErrorBody) {
  FrameBuilder b;
  auto frame = b.encode_error(0, {fb::ErrorCode::UNIMPLEMENTED, "no common version", false});
  ASSERT_TRUE(frame.ok());
  const auto* m = decode_ok(*frame)->body_as_Error();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->code(), fb::ErrorCode::UNIMPLEMENTED);
  EXPECT_EQ(view(m->message()), "no common version");
  EXPECT_FALSE(m->retryable());
}

TEST(RoundTrip, EverySampleKindDecodesAndDescribes) {
  std::set<fb::Body> kinds;
  for (const auto& sample : testing::sample_frames()) {
    AlignedBody body(sample.frame);
    auto decoded = decode_frame({body.data(), body.size()});
    ASSERT_TRUE(decoded.ok()) << sample.name << ": " << decoded.error().message();
    kinds.insert((*decoded)->body_type());
    EXPECT_FALSE(describe(**decoded).empty());
  }
  EXPECT_EQ(kinds.size(), static_cast<std::size_t>(fb::Body::MAX));
}

TEST(Describe, EscapesControlBytesOfPluginText) {
  FrameBuilder b;
  auto frame = b.encode_health_response(1, fb::ServingStatus::SERVING, "ok\n[fake] line\"");
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(describe(*decode_ok(*frame)),
            "HealthResponse{id=1 status=\"SERVING\" message=\"ok\\x0a[fake] line\\x22\"}");
}

}  // namespace
}  // namespace stockade::wire
