// Each rule of decode_frame, tried with a frame that breaks only that rule.
// Invalid frames are built with a raw FlatBufferBuilder: FrameBuilder refuses
// to produce them.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "sample_frames.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"

namespace stockade::wire {
namespace {

using testing::AlignedBody;

// Finishes `fbb` with an Envelope around `body` and returns the aligned body.
AlignedBody finish(flatbuffers::FlatBufferBuilder& fbb, fb::Body type,
                   flatbuffers::Offset<void> body, std::uint64_t id = 1) {
  fbb.Finish(fb::CreateEnvelope(fbb, id, type, body), kFileIdentifier);
  return AlignedBody(fbb.GetBufferPointer(), fbb.GetSize());
}

std::string decode_error(const AlignedBody& body, const DecodeLimits& limits = {}) {
  auto decoded = decode_frame({body.data(), body.size()}, limits);
  if (decoded.ok()) return "decoded";
  EXPECT_EQ(decoded.error().code, Errc::protocol);
  return decoded.error().what;
}

TEST(DecodeFrame, RefusesEnvelopeWithoutBody) {
  flatbuffers::FlatBufferBuilder fbb;
  EXPECT_EQ(decode_error(finish(fbb, fb::Body::NONE, 0)), "Envelope.body missing");
}

TEST(DecodeFrame, RefusesUnknownUnionType) {
  flatbuffers::FlatBufferBuilder fbb;
  auto table = fb::CreateCancel(fbb, 1).Union();
  EXPECT_EQ(decode_error(finish(fbb, static_cast<fb::Body>(200), table)),
            "Envelope.body has unknown type 200");
}

TEST(DecodeFrame, RefusesTypeWithoutTable) {
  flatbuffers::FlatBufferBuilder fbb;
  EXPECT_EQ(decode_error(finish(fbb, fb::Body::Cancel, 0)), "Envelope.body of type Cancel missing");
}

TEST(DecodeFrame, RefusesExecuteRequestWithoutMethod) {
  flatbuffers::FlatBufferBuilder fbb;
  auto body = fb::CreateExecuteRequest(fbb, 0, 0, 10, 1).Union();
  EXPECT_EQ(decode_error(finish(fbb, fb::Body::ExecuteRequest, body)),
            "ExecuteRequest.method missing");
}

TEST(DecodeFrame, RefusesMethodOverItsBound) {
  flatbuffers::FlatBufferBuilder fbb;
  auto body = fb::CreateExecuteRequestDirect(fbb, std::string(257, 'm').c_str()).Union();
  EXPECT_EQ(decode_error(finish(fbb, fb::Body::ExecuteRequest, body)),
            "ExecuteRequest.method has 257 bytes (limit 256)");
}

TEST(DecodeFrame, RefusesHelloWithTooManyVersions) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<std::uint32_t> versions(1000, 1);
  auto body = fb::CreateHelloDirect(fbb, &versions, "p").Union();
  EXPECT_EQ(decode_error(finish(fbb, fb::Body::Hello, body)),
            "Hello.versions has 1000 items (limit 16)");
}

TEST(DecodeFrame, RefusesHelloWithoutVersionsOrName) {
  flatbuffers::FlatBufferBuilder a;
  auto no_versions = fb::CreateHelloDirect(a, nullptr, "p").Union();
  EXPECT_EQ(decode_error(finish(a, fb::Body::Hello, no_versions)), "Hello.versions missing");
  flatbuffers::FlatBufferBuilder b;
  std::vector<std::uint32_t> versions = {1};
  auto no_name = fb::CreateHelloDirect(b, &versions).Union();
  EXPECT_EQ(decode_error(finish(b, fb::Body::Hello, no_name)), "Hello.name missing");
}

TEST(DecodeFrame, RefusesUnknownErrorCodeAndStatus) {
  flatbuffers::FlatBufferBuilder a;
  auto error = fb::CreateError(a, static_cast<fb::ErrorCode>(999)).Union();
  EXPECT_EQ(decode_error(finish(a, fb::Body::Error, error)), "Error.code has unknown value 999");
  flatbuffers::FlatBufferBuilder b;
  auto health = fb::CreateHealthResponse(b, static_cast<fb::ServingStatus>(9)).Union();
  EXPECT_EQ(decode_error(finish(b, fb::Body::HealthResponse, health)),
            "HealthResponse.status has unknown value 9");
}

TEST(DecodeFrame, RefusesLongStringsAndListsInInfoResponse) {
  std::vector<std::string> many(257, "x");
  flatbuffers::FlatBufferBuilder b;
  auto caps = b.CreateVectorOfStrings(many);
  auto info = fb::CreateInfoResponse(b, 0, 0, 0, caps).Union();
  EXPECT_EQ(decode_error(finish(b, fb::Body::InfoResponse, info)),
            "InfoResponse.capabilities has 257 items (limit 256)");
  flatbuffers::FlatBufferBuilder c;
  auto description = c.CreateString(std::string(5000, 'd'));
  auto long_text = fb::CreateInfoResponse(c, 0, 0, description).Union();
  EXPECT_EQ(decode_error(finish(c, fb::Body::InfoResponse, long_text)),
            "InfoResponse.description has 5000 bytes (limit 4096)");
  flatbuffers::FlatBufferBuilder d;
  std::vector<flatbuffers::Offset<fb::KeyValue>> entries = {fb::CreateKeyValueDirect(d, nullptr, "v")};
  auto meta = d.CreateVector(entries);
  auto keyless = fb::CreateInfoResponse(d, 0, 0, 0, 0, 0, meta).Union();
  EXPECT_EQ(decode_error(finish(d, fb::Body::InfoResponse, keyless)),
            "InfoResponse.metadata.key missing");
}

TEST(DecodeFrame, EnforcesTheTableLimit) {
  const auto samples = testing::sample_frames();
  for (const auto& sample : samples) {
    if (sample.name != "info_response") continue;
    AlignedBody body(sample.frame);
    DecodeLimits limits;
    limits.max_tables = 3;  // envelope + info + 2 metadata entries = 4 tables
    EXPECT_NE(decode_error(body, limits).find("FlatBuffers verification"), std::string::npos);
    limits.max_tables = 4;
    EXPECT_EQ(decode_error(body, limits), "decoded");
  }
}

TEST(DecodeFrame, RefusesWrongIdentifierShortEmptyAndOversizedBodies) {
  FrameBuilder builder;
  auto frame = builder.encode_cancel(1, 2);
  ASSERT_TRUE(frame.ok());
  std::vector<std::uint8_t> frame_bytes(frame->begin(), frame->end());
  AlignedBody body(frame_bytes);
  std::memcpy(body.data() + 4, "XXXX", 4);
  EXPECT_EQ(decode_error(body), "frame body lacks the file identifier STKD");

  AlignedBody short_body(frame_bytes.data() + kLengthPrefixSize, 7);
  EXPECT_EQ(decode_error(short_body), "frame body has 7 bytes, too short for a FlatBuffer");

  EXPECT_EQ(decode_frame({}).error().what, "frame body is empty");

  AlignedBody whole(frame_bytes);
  DecodeLimits limits;
  limits.max_frame = 8;
  EXPECT_EQ(decode_error(whole, limits),
            "frame body has " + std::to_string(whole.size()) + " bytes (limit 8)");
}

TEST(DecodeFrame, RefusesMisalignedBody) {
  FrameBuilder builder;
  auto frame = builder.encode_cancel(1, 2);
  ASSERT_TRUE(frame.ok());
  std::vector<std::uint64_t> words(frame->size() / 8 + 2);
  auto* shifted = reinterpret_cast<std::uint8_t*>(words.data()) + 1;
  std::memcpy(shifted, frame->data() + kLengthPrefixSize, frame->size() - kLengthPrefixSize);
  auto decoded = decode_frame({shifted, frame->size() - kLengthPrefixSize});
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().what.find("aligned"), std::string::npos);
}

TEST(FrameBuilder, RefusesWhatThePeerWouldRefuse) {
  DecodeLimits limits;
  limits.max_frame = 1024;
  FrameBuilder b(limits);
  auto long_method = b.encode_execute_request(1, std::string(300, 'm'), {}, 0, 1);
  ASSERT_FALSE(long_method.ok());
  EXPECT_EQ(long_method.error().what, "ExecuteRequest.method has 300 bytes (limit 256)");

  std::vector<std::uint8_t> big(2000);
  auto too_big = b.encode_execute_request(1, "m", big, 0, 1);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, Errc::limit);

  std::vector<std::uint8_t> almost(1000);  // fits the input check, not the frame
  auto over = b.encode_execute_response(1, almost);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::limit);

  auto no_method = b.encode_execute_request(1, "", {}, 0, 1);
  ASSERT_FALSE(no_method.ok());
  EXPECT_EQ(no_method.error().what, "ExecuteRequest.method is empty");

  // The builder is still usable after refusing.
  EXPECT_TRUE(b.encode_cancel(1, 1).ok());
}

TEST(DecodeFrame, PayloadMemfdNeedsAGrantAndNoInlinePayload) {
  for (const auto& sample : testing::memfd_sample_frames()) {
    AlignedBody body(sample.frame);
    // The default limits grant nothing: every announced memfd is refused.
    EXPECT_NE(decode_error(body).find("granted in the handshake"), std::string::npos) << sample.name;
    DecodeLimits granted;
    granted.max_memfd_payload = testing::kSampleMaxMemfdPayload;
    EXPECT_EQ(decode_error(body, granted), "decoded") << sample.name;
  }
  DecodeLimits granted;
  granted.max_memfd_payload = 1024;
  flatbuffers::FlatBufferBuilder a;
  auto both = fb::CreateExecuteRequestDirect(a, "echo", nullptr, 0, 1, 10);
  const std::vector<std::uint8_t> inline_payload(4, 1);
  flatbuffers::FlatBufferBuilder c;
  auto payload = c.CreateVector(inline_payload);
  auto method = c.CreateString("echo");
  auto with_inline = fb::CreateExecuteRequest(c, method, payload, 0, 1, 10).Union();
  EXPECT_EQ(decode_error(finish(c, fb::Body::ExecuteRequest, with_inline), granted),
            "ExecuteRequest has both a payload and a payload_memfd");
  EXPECT_EQ(decode_error(finish(a, fb::Body::ExecuteRequest, both.Union()), granted), "decoded");
  flatbuffers::FlatBufferBuilder e;
  auto error = fb::CreateErrorDirect(e, fb::ErrorCode::INTERNAL, "no");
  auto failed = fb::CreateExecuteResponse(e, 0, error, 10).Union();
  EXPECT_EQ(decode_error(finish(e, fb::Body::ExecuteResponse, failed), granted),
            "ExecuteResponse has both an error and a payload_memfd");
  flatbuffers::FlatBufferBuilder o;
  auto over = fb::CreateExecuteResponse(o, 0, 0, 1025).Union();
  EXPECT_EQ(decode_error(finish(o, fb::Body::ExecuteResponse, over), granted),
            "ExecuteResponse.payload_memfd announces 1025 bytes, above the 1024 bytes granted in the "
            "handshake (HelloAck.max_payload)");
}

}  // namespace
}  // namespace stockade::wire
