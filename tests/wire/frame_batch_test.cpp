// FrameBatch: frames queue back to back, partial writes resume where they
// stopped, and the queue is bounded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "wire/frame_batch.h"
#include "wire/frame_builder.h"
#include "wire/frame_reader.h"

namespace stockade::wire {
namespace {

TEST(FrameBatch, QueuedFramesReadBackInOrderAcrossPartialWrites) {
  FrameBuilder builder;
  FrameBatch batch;
  for (std::uint64_t id = 1; id <= 5; ++id) {
    auto frame = builder.encode_cancel(id, id * 10);
    ASSERT_TRUE(frame.ok());
    ASSERT_TRUE(batch.add(*frame).ok());
  }
  FrameReader reader;
  std::vector<std::uint64_t> cancelled;
  while (!batch.empty()) {
    // A "write" that takes 7 bytes at a time.
    auto pending = batch.pending();
    const std::size_t n = std::min<std::size_t>(7, pending.size());
    ASSERT_TRUE(reader.append(pending.first(n)).ok());
    batch.consume(n);
    for (;;) {
      auto next = reader.next();
      ASSERT_TRUE(next.ok());
      if (!*next) break;
      auto decoded = decode_frame(**next);
      ASSERT_TRUE(decoded.ok());
      cancelled.push_back((*decoded)->body_as_Cancel()->id());
    }
  }
  EXPECT_EQ(cancelled, (std::vector<std::uint64_t>{10, 20, 30, 40, 50}));
}

TEST(FrameBatch, RefusesFramesBeyondItsBound) {
  FrameBuilder builder;
  auto frame = builder.encode_health_request(1);
  ASSERT_TRUE(frame.ok());
  FrameBatch batch(frame->size() * 2);
  EXPECT_TRUE(batch.add(*frame).ok());
  EXPECT_TRUE(batch.add(*frame).ok());
  auto third = batch.add(*frame);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::limit);
  batch.consume(frame->size());
  EXPECT_TRUE(batch.add(*frame).ok());
}

std::vector<std::uint8_t> joined(const GatheredFrame& frame) {
  std::vector<std::uint8_t> bytes;
  for (auto piece : {frame.head, frame.payload, frame.tail}) bytes.insert(bytes.end(), piece.begin(), piece.end());
  return bytes;
}

std::vector<std::uint8_t> counting(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  std::iota(bytes.begin(), bytes.end(), std::uint8_t{1});
  return bytes;
}

TEST(GatheredFrame, ItsPiecesAreExactlyTheFrameAndThePayloadIsTheCallers) {
  // Sizes around the 4- and 8-byte paddings, and empty (no payload vector).
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{7},
                           std::size_t{8}, kGatherPayloadFrom, kGatherPayloadFrom + 5}) {
    const auto payload = counting(size);
    FrameBuilder whole_builder, gathered_builder;
    auto whole = whole_builder.encode_execute_request(9, "echo", payload, 1000, 2);
    auto gathered = gathered_builder.encode_execute_request_gathered(9, "echo", payload, 1000, 2);
    ASSERT_TRUE(whole.ok() && gathered.ok()) << size;
    if (size >= kGatherPayloadFrom) {
      EXPECT_EQ(gathered->payload.data(), payload.data()) << "the payload was copied";
    } else {
      EXPECT_TRUE(gathered->payload.empty()) << "a small payload is copied into the frame";
    }
    EXPECT_EQ(joined(*gathered), std::vector<std::uint8_t>(whole->begin(), whole->end())) << size;

    auto whole_reply = whole_builder.encode_execute_response(9, payload);
    auto gathered_reply = gathered_builder.encode_execute_response_gathered(9, payload);
    ASSERT_TRUE(whole_reply.ok() && gathered_reply.ok()) << size;
    EXPECT_EQ(joined(*gathered_reply), std::vector<std::uint8_t>(whole_reply->begin(), whole_reply->end()))
        << size;
  }
}

TEST(GatheredFrame, AGatheredRequestOverMaxFrameIsRefused) {
  FrameBuilder builder(DecodeLimits{.max_frame = 64 * 1024});
  const auto payload = counting(64 * 1024);
  auto frame = builder.encode_execute_request_gathered(1, "echo", payload, 1000, 1);
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.error().code, Errc::limit);
}

TEST(GatheredFrame, AfterDropsWrittenBytesAcrossThePieces) {
  FrameBuilder builder;
  const auto payload = counting(kGatherPayloadFrom + 3);
  auto frame = builder.encode_execute_response_gathered(4, payload);
  ASSERT_TRUE(frame.ok());
  const auto all = joined(*frame);
  // Every cut: in the head, at each boundary, in the payload, in the tail.
  for (std::size_t n = 0; n <= all.size(); n += (n < 80 || n + 80 > all.size()) ? 1 : 997) {
    const auto rest = frame->after(n);
    EXPECT_EQ(rest.size(), all.size() - n);
    EXPECT_EQ(joined(rest), std::vector<std::uint8_t>(all.begin() + static_cast<std::ptrdiff_t>(n), all.end()))
        << n;
  }
}

TEST(FrameBatch, AGatheredFrameJoinsTheQueueAsOneFrame) {
  FrameBuilder builder;
  FrameBatch batch;
  auto small = builder.encode_cancel(1, 10);
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE(batch.add(*small).ok());
  const auto payload = counting(kGatherPayloadFrom);
  auto large = builder.encode_execute_response_gathered(2, payload);
  ASSERT_TRUE(large.ok());
  ASSERT_TRUE(batch.add(*large).ok());
  FrameReader reader;
  ASSERT_TRUE(reader.append(batch.pending()).ok());
  auto first = reader.next();
  ASSERT_TRUE(first.ok() && *first);
  auto second = reader.next();
  ASSERT_TRUE(second.ok() && *second);
  auto decoded = decode_frame(**second);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  const auto* response = (*decoded)->body_as_ExecuteResponse();
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(std::vector<std::uint8_t>(response->payload()->begin(), response->payload()->end()), payload);
  // Bounded like any frame.
  FrameBatch tight(large->size() - 1);
  auto refused = tight.add(*large);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::limit);
  EXPECT_TRUE(tight.empty());
}

}  // namespace
}  // namespace stockade::wire
