// Hostile bytes: truncated, corrupted and random frames are refused with an
// error, never a crash, and whatever is accepted is a well-formed message
// (every field readable, within the limits, encodable again).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sample_frames.h"
#include "wire/describe.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"
#include "wire/frame_reader.h"

namespace stockade::wire {
namespace {

using testing::AlignedBody;

std::vector<std::string> strings(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v != nullptr) {
    for (const auto* s : *v) out.emplace_back(view(s));
  }
  return out;
}

// Builds the decoded message again with FrameBuilder, which holds its output
// to the decoder's limits: a message the decoder let through must pass.
Result<Frame> encode_again(FrameBuilder& b, const fb::Envelope& e) {
  const std::uint64_t id = e.id();
  switch (e.body_type()) {
    case fb::Body::Hello: {
      const auto& m = *e.body_as_Hello();
      std::vector<std::uint32_t> versions(m.versions()->begin(), m.versions()->end());
      return b.encode_hello(id, {versions, view(m.name()), view(m.version()), view(m.cookie())});
    }
    case fb::Body::HelloAck: {
      const auto& m = *e.body_as_HelloAck();
      return b.encode_hello_ack(id, {m.version(), m.max_frame(), m.max_concurrency()});
    }
    case fb::Body::ExecuteRequest: {
      const auto& m = *e.body_as_ExecuteRequest();
      return b.encode_execute_request(id, view(m.method()), bytes(m.payload()), m.deadline_ms(),
                                      m.attempt());
    }
    case fb::Body::ExecuteResponse: {
      const auto& m = *e.body_as_ExecuteResponse();
      if (m.error() == nullptr) return b.encode_execute_response(id, bytes(m.payload()));
      return b.encode_execute_error(
          id, {m.error()->code(), view(m.error()->message()), m.error()->retryable()});
    }
    case fb::Body::Cancel: return b.encode_cancel(id, e.body_as_Cancel()->id());
    case fb::Body::HealthRequest: return b.encode_health_request(id);
    case fb::Body::HealthResponse: {
      const auto& m = *e.body_as_HealthResponse();
      return b.encode_health_response(id, m.status(), view(m.message()));
    }
    case fb::Body::InfoRequest: return b.encode_info_request(id);
    case fb::Body::InfoResponse: {
      const auto& m = *e.body_as_InfoResponse();
      auto caps = strings(m.capabilities());
      auto methods = strings(m.methods());
      std::vector<std::pair<std::string, std::string>> meta;
      if (m.metadata() != nullptr) {
        for (const auto* kv : *m.metadata()) meta.emplace_back(view(kv->key()), view(kv->value()));
      }
      return b.encode_info_response(
          id, {view(m.name()), view(m.version()), view(m.description()), caps, methods, meta});
    }
    case fb::Body::CloseRequest: return b.encode_close_request(id, e.body_as_CloseRequest()->grace_ms());
    case fb::Body::Error: {
      const auto& m = *e.body_as_Error();
      return b.encode_error(id, {m.code(), view(m.message()), m.retryable()});
    }
    case fb::Body::NONE: break;
  }
  return Error{Errc::internal, "decoder let a body of type NONE through", "test", 0};
}

// Accepted input must be a complete, bounded message.
void expect_well_formed(const fb::Envelope& e, const std::string& context) {
  EXPECT_FALSE(describe(e).empty()) << context;
  FrameBuilder b;
  auto again = encode_again(b, e);
  EXPECT_TRUE(again.ok()) << context << ": " << (again.ok() ? "" : again.error().message());
}

TEST(Robustness, EveryTruncationOfEveryFrameIsRefused) {
  for (const auto& sample : testing::sample_frames()) {
    // On the stream: a cut frame is never delivered, and the reader knows it
    // sits mid-frame, so an end of stream there is an error for the caller.
    for (std::size_t n = 1; n < sample.frame.size(); ++n) {
      FrameReader reader;
      ASSERT_TRUE(reader.append({sample.frame.data(), n}).ok());
      auto next = reader.next();
      ASSERT_TRUE(next.ok());
      EXPECT_FALSE(next->has_value()) << sample.name << " cut to " << n << " bytes";
      EXPECT_FALSE(reader.at_frame_boundary());
    }
  }
}

TEST(Robustness, EveryTruncatedBodyIsRefusedUnlessOnlyPaddingWasCut) {
  // A FlatBuffer may end in alignment padding after its last string, which no
  // offset covers; cutting only those zero bytes loses nothing, so the decoder
  // cannot (and need not) tell. Any other cut must be refused.
  std::size_t refused = 0;
  for (const auto& sample : testing::sample_frames()) {
    const AlignedBody body(sample.frame);
    const std::string whole = describe(*decode_frame({body.data(), body.size()}).value());
    for (std::size_t n = 0; n < body.size(); ++n) {
      auto decoded = decode_frame({body.data(), n});
      if (!decoded.ok()) {
        ++refused;
        continue;
      }
      for (std::size_t i = n; i < body.size(); ++i) {
        EXPECT_EQ(body.data()[i], 0) << sample.name << " cut to " << n << " dropped data";
      }
      EXPECT_EQ(describe(**decoded), whole) << sample.name << " cut to " << n;
    }
  }
  EXPECT_GT(refused, 0u);
}

TEST(Robustness, EverySingleByteCorruptionIsRefusedOrWellFormed) {
  std::size_t refused = 0;
  std::size_t accepted = 0;
  for (const auto& sample : testing::sample_frames()) {
    AlignedBody body(sample.frame);
    for (std::size_t pos = 0; pos < body.size(); ++pos) {
      const std::uint8_t original = body.data()[pos];
      for (int value = 0; value < 256; ++value) {
        if (value == original) continue;
        body.data()[pos] = static_cast<std::uint8_t>(value);
        auto decoded = decode_frame({body.data(), body.size()});
        if (decoded.ok()) {
          ++accepted;
          expect_well_formed(**decoded, sample.name + " byte " + std::to_string(pos) + " = " +
                                            std::to_string(value));
        } else {
          ++refused;
          EXPECT_EQ(decoded.error().code, Errc::protocol);
        }
      }
      body.data()[pos] = original;
    }
  }
  // Both outcomes occur: payload bytes decode, offsets and identifiers do not.
  EXPECT_GT(refused, 0u);
  EXPECT_GT(accepted, 0u);
}

TEST(Robustness, RandomBytesNeverCrash) {
  std::mt19937_64 rng(20240601);
  std::vector<std::uint64_t> words(1024 / 8);
  auto* buf = reinterpret_cast<std::uint8_t*>(words.data());
  for (int round = 0; round < 200000; ++round) {
    const std::size_t n = rng() % 1024;
    for (auto& w : words) w = rng();
    // Half the inputs get a valid identifier and a small root offset, so the
    // Verifier itself is exercised, not just the identifier check.
    if (round % 2 == 0 && n >= 8) {
      buf[0] = static_cast<std::uint8_t>(8 + 4 * (rng() % 16));
      buf[1] = buf[2] = buf[3] = 0;
      std::memcpy(buf + 4, kFileIdentifier, 4);
    }
    auto decoded = decode_frame({buf, n});
    if (decoded.ok()) expect_well_formed(**decoded, "random round " + std::to_string(round));
  }
}

}  // namespace
}  // namespace stockade::wire
