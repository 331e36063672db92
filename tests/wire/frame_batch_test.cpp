// FrameBatch: frames queue back to back, partial writes resume where they
// stopped, and the queue is bounded.
#include <gtest/gtest.h>

#include <algorithm>
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

}  // namespace
}  // namespace stockade::wire
