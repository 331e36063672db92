// Control protocol round trips: every message kind encodes to one frame laid
// out as the plugin wire's (prefix, Finish-ed body, 8-aligned, "STKC",
// versioned) and decodes back to what was sent, through wire::FrameReader.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "control/builder.h"
#include "control/decoder.h"
#include "sample_messages.h"
#include "wire/frame_reader.h"
#include "wire/messages.h"

namespace stockade::control {
namespace {

using testing::AlignedBody;
using testing::sample_messages;

std::uint32_t prefix_of(Frame frame) {
  return static_cast<std::uint32_t>(frame[0]) | static_cast<std::uint32_t>(frame[1]) << 8 |
         static_cast<std::uint32_t>(frame[2]) << 16 | static_cast<std::uint32_t>(frame[3]) << 24;
}

TEST(ControlCodec, SamplesCoverEveryBodyKind) {
  std::set<std::size_t> kinds;
  for (const auto& sample : sample_messages()) kinds.insert(sample.message.body.index());
  EXPECT_EQ(kinds.size(), std::variant_size_v<Body>);
}

TEST(ControlCodec, EveryMessageRoundTrips) {
  ControlBuilder builder;
  for (const auto& sample : sample_messages()) {
    SCOPED_TRACE(sample.name);
    auto frame = builder.encode(sample.message);
    ASSERT_TRUE(frame) << frame.error().message();
    AlignedBody body(*frame);
    auto decoded = decode_message(body.span());
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(*decoded, sample.message);
  }
}

TEST(ControlCodec, FramesAreLengthPrefixedAlignedVersionedAndIdentified) {
  ControlBuilder builder;
  for (const auto& sample : sample_messages()) {
    SCOPED_TRACE(sample.name);
    auto frame = builder.encode(sample.message);
    ASSERT_TRUE(frame);
    ASSERT_GT(frame->size(), kLengthPrefixSize);
    const std::size_t body_size = frame->size() - kLengthPrefixSize;
    EXPECT_EQ(prefix_of(*frame), body_size);
    EXPECT_EQ(body_size % kBodyAlignment, 0u);
    EXPECT_EQ(std::memcmp(frame->data() + kLengthPrefixSize + 4, "STKC", 4), 0);
    AlignedBody body(*frame);
    auto envelope = decode_control(body.span());
    ASSERT_TRUE(envelope);
    EXPECT_EQ((*envelope)->version(), kControlVersion);
    EXPECT_EQ((*envelope)->id(), sample.message.id);
    EXPECT_EQ(static_cast<std::size_t>((*envelope)->body_type()),
              sample.message.body.index() + 1);
  }
}

TEST(ControlCodec, AllFramesInOneStreamComeBackThroughTheWireFrameReaderBytewise) {
  ControlBuilder builder;
  std::vector<std::uint8_t> stream;
  const auto samples = sample_messages();
  for (const auto& sample : samples) {
    auto frame = builder.encode(sample.message);
    ASSERT_TRUE(frame);
    stream.insert(stream.end(), frame->begin(), frame->end());
  }
  wire::FrameReader reader;
  std::size_t next = 0;
  for (std::uint8_t byte : stream) {
    ASSERT_TRUE(reader.append({&byte, 1}));
    for (;;) {
      auto body = reader.next();
      ASSERT_TRUE(body) << body.error().message();
      if (!*body) break;
      auto decoded = decode_message(**body);
      ASSERT_TRUE(decoded) << decoded.error().message();
      ASSERT_LT(next, samples.size());
      EXPECT_EQ(*decoded, samples[next].message) << samples[next].name;
      ++next;
    }
  }
  EXPECT_EQ(next, samples.size());
  EXPECT_TRUE(reader.at_frame_boundary());
}

TEST(ControlCodec, AbsentOptionalCallFieldsStayAbsentAndZeroIsKept) {
  ControlBuilder builder;
  auto frame = builder.encode_call(9, "echo", "echo", {}, std::nullopt, std::nullopt);
  ASSERT_TRUE(frame);
  AlignedBody absent(*frame);
  auto call = std::get<CallRequest>(decode_message(absent.span())->body);
  EXPECT_FALSE(call.timeout_ms.has_value());
  EXPECT_FALSE(call.idempotent.has_value());
  EXPECT_TRUE(call.payload.empty());

  // 0 and false are values here, not "use the manifest's".
  frame = builder.encode_call(9, "echo", "echo", {}, 0u, false);
  ASSERT_TRUE(frame);
  AlignedBody zero(*frame);
  call = std::get<CallRequest>(decode_message(zero.span())->body);
  EXPECT_EQ(call.timeout_ms, std::optional<std::uint32_t>(0));
  EXPECT_EQ(call.idempotent, std::optional<bool>(false));
}

TEST(ControlCodec, CallPayloadIsReadInPlaceFromTheFrame) {
  const std::vector<std::uint8_t> payload(1000, 0xab);
  ControlBuilder builder;
  auto frame = builder.encode_call_reply(5, payload);
  ASSERT_TRUE(frame);
  AlignedBody body(*frame);
  auto envelope = decode_control(body.span());
  ASSERT_TRUE(envelope);
  const auto* bytes = (*envelope)->body_as_CallReply()->payload();
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(bytes->size(), payload.size());
  EXPECT_GE(bytes->data(), body.data());
  EXPECT_LE(bytes->data() + bytes->size(), body.data() + body.size());
}

TEST(ControlCodec, AnswersMayCarryIdZeroButRequestsMayNot) {
  ControlBuilder builder;
  EXPECT_TRUE(builder.encode(0, ErrorInfo{fb::Code::INVALID_ARGUMENT, "bad frame"}));
  auto refused = builder.encode(0, StatusRequest{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_input);
  EXPECT_NE(refused.error().what.find("Envelope.id is 0 in a Status request"), std::string::npos)
      << refused.error().what;
}

TEST(ControlCodec, CodesShareTheWireErrorCodesNumbers) {
  // A plugin's Error.code passes through the daemon by value.
  for (int c = 0; c <= static_cast<int>(wire::fb::ErrorCode::MAX); ++c) {
    EXPECT_STREQ(code_name(static_cast<fb::Code>(c)),
                 wire::fb::EnumNameErrorCode(static_cast<wire::fb::ErrorCode>(c)));
  }
}

TEST(ControlCodec, NamesOfCodesStatesAndBodies) {
  EXPECT_STREQ(code_name(fb::Code::PERMISSION_DENIED), "PERMISSION_DENIED");
  EXPECT_STREQ(code_name(static_cast<fb::Code>(999)), "?");
  EXPECT_STREQ(state_name(fb::PluginState::HANDSHAKING), "handshaking");
  EXPECT_STREQ(body_name(fb::Body::ReloadReply), "ReloadReply");
  EXPECT_STREQ(body_name(static_cast<fb::Body>(200)), "?");
}

}  // namespace
}  // namespace stockade::control
