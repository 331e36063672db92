// The control decoder's refusals, each named: framing and verification,
// version, union, ids, required fields, enum values, string and list bounds.
// Bad frames are built by hand with FlatBuffers' own builder, since
// ControlBuilder refuses to make them.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "control/builder.h"
#include "control/decoder.h"
#include "sample_messages.h"
#include "wire/frame_builder.h"

namespace stockade::control {
namespace {

using testing::AlignedBody;

// What decode_control says about `body`: its refusal, or "accepted".
std::string verdict(const AlignedBody& body, const ControlLimits& limits = {}) {
  auto decoded = decode_control(body.span(), limits);
  if (decoded) return "accepted";
  EXPECT_EQ(decoded.error().code, Errc::protocol);
  return decoded.error().what;
}

#define EXPECT_REFUSED(body, text, ...)                                                   \
  do {                                                                                    \
    const std::string v = verdict(body __VA_OPT__(, ) __VA_ARGS__);                       \
    EXPECT_NE(v.find(text), std::string::npos) << "expected \"" << (text) << "\", got \"" \
                                               << v << "\"";                              \
  } while (0)

// An Envelope put together field by field.
struct RawFrame {
  flatbuffers::FlatBufferBuilder fbb;
  std::uint64_t id = 1;
  std::uint32_t version = kControlVersion;

  AlignedBody finish(fb::Body type, flatbuffers::Offset<void> body) {
    fb::EnvelopeBuilder e(fbb);
    e.add_id(id);
    if (version != 0) e.add_version(version);
    e.add_body_type(type);
    if (!body.IsNull()) e.add_body(body);
    fbb.Finish(e.Finish(), kControlFileIdentifier);
    return AlignedBody({fbb.GetBufferPointer(), fbb.GetSize()}, false);
  }
  flatbuffers::Offset<flatbuffers::String> str(const std::string& s) {
    return fbb.CreateString(s);
  }
};

AlignedBody good_status() {
  ControlBuilder builder;
  return AlignedBody(*builder.encode(1, StatusRequest{}));
}

TEST(ControlDecoder, RefusesEmptyOversizedShortAndMisalignedBodies) {
  AlignedBody empty(std::span<const std::uint8_t>{}, false);
  EXPECT_REFUSED(empty, "frame body is empty");

  AlignedBody status = good_status();
  ControlLimits tiny;
  tiny.max_frame = 8;
  EXPECT_REFUSED(status, "bytes (limit 8)", tiny);

  const std::uint8_t four[] = {4, 0, 0, 0};
  EXPECT_REFUSED(AlignedBody(four, false), "too short for a FlatBuffer");

  std::vector<std::uint64_t> words(status.size() / 8 + 2);
  auto* shifted = reinterpret_cast<std::uint8_t*>(words.data()) + 4;
  std::memcpy(shifted, status.data(), status.size());
  auto misaligned = decode_control({shifted, status.size()});
  ASSERT_FALSE(misaligned);
  EXPECT_NE(misaligned.error().what.find("8-byte aligned"), std::string::npos);
}

TEST(ControlDecoder, RefusesAPluginWireFrameByName) {
  wire::FrameBuilder plugin_wire;
  auto frame = plugin_wire.encode_health_request(1);
  ASSERT_TRUE(frame);
  EXPECT_REFUSED(AlignedBody(*frame), "is a plugin wire frame (STKD), not a control frame (STKC)");
}

TEST(ControlDecoder, RefusesAMissingFileIdentifier) {
  AlignedBody body = good_status();
  body.data()[4] = 'X';
  EXPECT_REFUSED(body, "lacks the file identifier STKC");
}

TEST(ControlDecoder, RefusesWhatFailsVerification) {
  AlignedBody body = good_status();
  // The root offset now points far outside the body.
  body.data()[0] = 0xf0;
  body.data()[1] = 0xff;
  EXPECT_REFUSED(body, "failed FlatBuffers verification");
}

TEST(ControlDecoder, RefusesMoreTablesThanTheLimit) {
  ControlBuilder builder;
  StatusReplyInfo reply;
  for (int i = 0; i < 10; ++i) reply.plugins.push_back({.name = "p" + std::to_string(i)});
  AlignedBody body(*builder.encode(1, reply));
  ControlLimits limits;
  limits.max_tables = 5;
  EXPECT_REFUSED(body, "failed FlatBuffers verification", limits);
  EXPECT_EQ(verdict(body), "accepted");
}

TEST(ControlDecoder, RefusesAMissingOrForeignVersion) {
  RawFrame none;
  none.version = 0;
  EXPECT_REFUSED(none.finish(fb::Body::Status, fb::CreateStatus(none.fbb).Union()),
                 "Envelope.version missing");
  RawFrame two;
  two.version = 2;
  EXPECT_REFUSED(two.finish(fb::Body::Status, fb::CreateStatus(two.fbb).Union()),
                 "Envelope.version 2 is not spoken here (this end speaks 1)");
}

TEST(ControlDecoder, RefusesAMissingUnknownOrEmptyBody) {
  RawFrame none;
  EXPECT_REFUSED(none.finish(fb::Body::NONE, 0), "Envelope.body missing");
  RawFrame unknown;
  EXPECT_REFUSED(unknown.finish(static_cast<fb::Body>(200), fb::CreateStatus(unknown.fbb).Union()),
                 "Envelope.body has unknown type 200");
  RawFrame empty;
  EXPECT_REFUSED(empty.finish(fb::Body::Call, 0), "Envelope.body of type Call missing");
}

TEST(ControlDecoder, RefusesARequestWithIdZero) {
  RawFrame raw;
  raw.id = 0;
  EXPECT_REFUSED(raw.finish(fb::Body::Metrics, fb::CreateMetrics(raw.fbb).Union()),
                 "Envelope.id is 0 in a Metrics request");
}

TEST(ControlDecoder, RefusesACallWithoutPluginOrMethod) {
  RawFrame no_plugin;
  auto m = no_plugin.str("echo");
  EXPECT_REFUSED(no_plugin.finish(fb::Body::Call, fb::CreateCall(no_plugin.fbb, 0, m).Union()),
                 "Call.plugin missing");
  RawFrame empty_plugin;
  auto e = empty_plugin.str("");
  m = empty_plugin.str("echo");
  EXPECT_REFUSED(
      empty_plugin.finish(fb::Body::Call, fb::CreateCall(empty_plugin.fbb, e, m).Union()),
      "Call.plugin is empty");
  RawFrame no_method;
  auto p = no_method.str("echo");
  EXPECT_REFUSED(no_method.finish(fb::Body::Call, fb::CreateCall(no_method.fbb, p).Union()),
                 "Call.method missing");
  RawFrame empty_method;
  p = empty_method.str("echo");
  e = empty_method.str("");
  EXPECT_REFUSED(
      empty_method.finish(fb::Body::Call, fb::CreateCall(empty_method.fbb, p, e).Union()),
      "Call.method is empty");
}

TEST(ControlDecoder, RefusesNamesAndMethodsOverTheirBounds) {
  RawFrame long_plugin;
  auto p = long_plugin.str(std::string(257, 'a'));
  auto m = long_plugin.str("echo");
  EXPECT_REFUSED(long_plugin.finish(fb::Body::Call, fb::CreateCall(long_plugin.fbb, p, m).Union()),
                 "Call.plugin has 257 bytes (limit 256)");
  RawFrame long_method;
  p = long_method.str("echo");
  m = long_method.str(std::string(300, 'm'));
  EXPECT_REFUSED(long_method.finish(fb::Body::Call, fb::CreateCall(long_method.fbb, p, m).Union()),
                 "Call.method has 300 bytes (limit 256)");
  RawFrame long_after;
  auto after = long_after.str(std::string(257, 's'));
  EXPECT_REFUSED(long_after.finish(fb::Body::Status, fb::CreateStatus(long_after.fbb, after).Union()),
                 "Status.after has 257 bytes (limit 256)");
  ControlLimits small;
  small.max_string = 3;
  ControlBuilder builder;
  AlignedBody error(*builder.encode(1, ErrorInfo{fb::Code::INTERNAL, "four"}));
  EXPECT_REFUSED(error, "Error.message has 4 bytes (limit 3)", small);
}

TEST(ControlDecoder, RefusesThePluginlessInfoHealthAndRestart) {
  RawFrame info;
  EXPECT_REFUSED(info.finish(fb::Body::Info, fb::CreateInfo(info.fbb).Union()),
                 "Info.plugin missing");
  RawFrame health;
  EXPECT_REFUSED(health.finish(fb::Body::Health, fb::CreateHealth(health.fbb).Union()),
                 "Health.plugin missing");
  RawFrame restart;
  EXPECT_REFUSED(restart.finish(fb::Body::Restart, fb::CreateRestart(restart.fbb).Union()),
                 "Restart.plugin missing");
}

TEST(ControlDecoder, RefusesUnknownEnumValues) {
  RawFrame code;
  EXPECT_REFUSED(code.finish(fb::Body::Error,
                             fb::CreateError(code.fbb, static_cast<fb::Code>(77)).Union()),
                 "Error.code has unknown value 77");
  RawFrame delivery;
  EXPECT_REFUSED(
      delivery.finish(fb::Body::Error,
                      fb::CreateError(delivery.fbb, fb::Code::INTERNAL, 0,
                                      static_cast<fb::Delivery>(9))
                          .Union()),
      "Error.delivery has unknown value 9");
  RawFrame state;
  auto name = state.str("echo");
  auto entry = fb::CreatePluginStatus(state.fbb, name, static_cast<fb::PluginState>(42));
  auto list = state.fbb.CreateVector(&entry, 1);
  EXPECT_REFUSED(
      state.finish(fb::Body::StatusReply, fb::CreateStatusReply(state.fbb, list).Union()),
                 "StatusReply.plugins[0].state has unknown value 42");
}

TEST(ControlDecoder, RefusesAStatusEntryWithoutName) {
  RawFrame raw;
  std::vector<flatbuffers::Offset<fb::PluginStatus>> entries = {
      fb::CreatePluginStatus(raw.fbb, raw.str("echo")), fb::CreatePluginStatus(raw.fbb)};
  auto list = raw.fbb.CreateVector(entries);
  EXPECT_REFUSED(raw.finish(fb::Body::StatusReply, fb::CreateStatusReply(raw.fbb, list).Union()),
                 "StatusReply.plugins[1].name missing");
}

TEST(ControlDecoder, RefusesListsOverTheirBounds) {
  ControlBuilder big({.max_list_items = 5000, .max_plugins = 5000});
  StatusReplyInfo many;
  many.plugins.resize(1025, PluginStatusInfo{.name = "p"});
  AlignedBody status(*big.encode(1, many));
  EXPECT_REFUSED(status, "StatusReply.plugins has 1025 items (limit 1024)");

  InfoReplyInfo info;
  info.methods.assign(257, "m");
  AlignedBody methods(*big.encode(1, info));
  EXPECT_REFUSED(methods, "InfoReply.methods has 257 items (limit 256)");

  ReloadReplyInfo reload;
  reload.problems.assign(300, "x");
  AlignedBody problems(*big.encode(1, reload));
  EXPECT_REFUSED(problems, "ReloadReply.problems has 300 items (limit 256)");
}

TEST(ControlDecoder, RefusesAnOverlongListItemAndAKeylessMetadataEntry) {
  InfoReplyInfo info;
  info.methods = {"ok", std::string(257, 'm')};
  ControlBuilder lax({.max_method = 1000});
  AlignedBody method(*lax.encode(1, info));
  EXPECT_REFUSED(method, "InfoReply.methods[1] has 257 bytes (limit 256)");

  RawFrame raw;
  auto kv = fb::CreateKeyValue(raw.fbb, 0, raw.str("v"));
  auto metadata = raw.fbb.CreateVector(&kv, 1);
  EXPECT_REFUSED(raw.finish(fb::Body::InfoReply,
                            fb::CreateInfoReply(raw.fbb, 0, 0, 0, 0, 0, metadata).Union()),
                 "InfoReply.metadata[0].key missing");
}

TEST(ControlDecoder, EverySampleIsAcceptedAndEveryTruncationRefusedWithoutACrash) {
  ControlBuilder builder;
  for (const auto& sample : testing::sample_messages()) {
    SCOPED_TRACE(sample.name);
    auto frame = builder.encode(sample.message);
    ASSERT_TRUE(frame);
    AlignedBody whole(*frame);
    EXPECT_EQ(verdict(whole), "accepted");
    // Trailing padding no offset covers may be cut; anything else must not
    // decode into a different message.
    for (std::size_t n = 0; n < whole.size(); ++n) {
      AlignedBody cut(whole.span().first(n), false);
      auto decoded = decode_message(cut.span());
      if (decoded) {
        EXPECT_EQ(*decoded, sample.message) << "cut at " << n;
      }
    }
  }
}

}  // namespace
}  // namespace stockade::control
