// FrameReader: frames come out whole and identical however the stream is cut,
// bad lengths are refused at once, memory stays bounded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "sample_frames.h"
#include "wire/frame_decoder.h"
#include "wire/frame_reader.h"

namespace stockade::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes body_of(const Bytes& frame) { return Bytes(frame.begin() + kLengthPrefixSize, frame.end()); }

// All sample frames back to back, plus hand-made ones whose length is not a
// multiple of 8 so that later bodies land misaligned in the reader's buffer.
struct Stream {
  Bytes bytes;
  std::vector<Bytes> bodies;
};

Stream make_stream(int repeat) {
  Stream s;
  const auto samples = testing::sample_frames();
  for (int r = 0; r < repeat; ++r) {
    for (const auto& sample : samples) {
      s.bytes.insert(s.bytes.end(), sample.frame.begin(), sample.frame.end());
      s.bodies.push_back(body_of(sample.frame));
      // An odd-sized opaque frame (the reader does not decode).
      const Bytes odd = {static_cast<std::uint8_t>(1 + r % 7), 0, 0, 0, 'x', 'y', 'z', 'w',
                         'v', 'u', 't', 's'};
      const std::size_t n = odd[0];
      s.bytes.insert(s.bytes.end(), odd.begin(), odd.begin() + static_cast<std::ptrdiff_t>(4 + n));
      s.bodies.emplace_back(odd.begin() + 4, odd.begin() + static_cast<std::ptrdiff_t>(4 + n));
    }
  }
  return s;
}

// Drains every complete frame, checking alignment and decoding real ones.
void drain(FrameReader& reader, std::vector<Bytes>& out) {
  for (;;) {
    auto next = reader.next();
    ASSERT_TRUE(next.ok()) << next.error().message();
    if (!*next) return;
    const auto body = **next;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(body.data()) % kBodyAlignment, 0u);
    if (body.size() >= 8) {
      EXPECT_TRUE(decode_frame(body).ok()) << "frame " << out.size();
    }
    out.emplace_back(body.begin(), body.end());
  }
}

TEST(FrameReader, RandomChunkingsYieldTheSameFrames) {
  const Stream stream = make_stream(3);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    FrameReader reader(kDefaultMaxFrame, 1 + rng() % 300);
    std::vector<Bytes> got;
    std::size_t pos = 0;
    const std::size_t max_chunk = trial < 100 ? 16 : 4096;
    while (pos < stream.bytes.size()) {
      const std::size_t want = 1 + rng() % max_chunk;
      // Alternate the two ways in: prepare/commit (short reads included) and append.
      if (trial % 2 == 0) {
        auto space = reader.prepare(want);
        ASSERT_FALSE(space.empty());
        const std::size_t n = std::min({space.size(), stream.bytes.size() - pos,
                                        static_cast<std::size_t>(1 + rng() % space.size())});
        std::memcpy(space.data(), stream.bytes.data() + pos, n);
        reader.commit(n);
        pos += n;
      } else {
        const std::size_t n = std::min(want, stream.bytes.size() - pos);
        ASSERT_TRUE(reader.append({stream.bytes.data() + pos, n}).ok());
        pos += n;
      }
      drain(reader, got);
    }
    EXPECT_EQ(got, stream.bodies) << "trial " << trial;
    EXPECT_TRUE(reader.at_frame_boundary());
  }
}

TEST(FrameReader, OneByteAtATime) {
  const Stream stream = make_stream(1);
  FrameReader reader;
  std::vector<Bytes> got;
  for (const std::uint8_t b : stream.bytes) {
    ASSERT_TRUE(reader.append({&b, 1}).ok());
    drain(reader, got);
  }
  EXPECT_EQ(got, stream.bodies);
}

TEST(FrameReader, AllFramesOfOneChunkComeOut) {
  const Stream stream = make_stream(4);
  FrameReader reader;
  ASSERT_TRUE(reader.append(stream.bytes).ok());
  std::vector<Bytes> got;
  drain(reader, got);
  EXPECT_EQ(got, stream.bodies);
}

TEST(FrameReader, PartialFrameWaitsForMore) {
  FrameReader reader;
  const Bytes frame = {5, 0, 0, 0, 1, 2, 3};
  ASSERT_TRUE(reader.append(frame).ok());
  auto next = reader.next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_FALSE(reader.at_frame_boundary());
}

TEST(FrameReader, ZeroLengthIsRefusedAtOnceAndForever) {
  FrameReader reader;
  const Bytes zero = {0, 0, 0, 0};
  ASSERT_TRUE(reader.append(zero).ok());
  auto next = reader.next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, Errc::protocol);
  EXPECT_EQ(next.error().what, "frame length is zero");
  EXPECT_TRUE(reader.failed());
  // Stays failed: valid bytes after the error change nothing.
  const Bytes valid = {1, 0, 0, 0, 9};
  EXPECT_FALSE(reader.append(valid).ok());
  EXPECT_TRUE(reader.prepare(16).empty());
  EXPECT_FALSE(reader.next().ok());
}

TEST(FrameReader, OversizedLengthIsRefusedBeforeAnyBodyByte) {
  FrameReader reader(1024);
  const Bytes prefix = {0x01, 0x04, 0, 0};  // 1025
  ASSERT_TRUE(reader.append(prefix).ok());
  auto next = reader.next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().what, "frame length 1025 exceeds max_frame 1024");

  // A length of exactly max_frame is accepted and waited for.
  FrameReader exact(1024);
  const Bytes max_prefix = {0x00, 0x04, 0, 0};
  ASSERT_TRUE(exact.append(max_prefix).ok());
  auto waiting = exact.next();
  ASSERT_TRUE(waiting.ok());
  EXPECT_FALSE(waiting->has_value());
}

TEST(FrameReader, HugeDeclaredLengthAllocatesOnlyWhatArrives) {
  FrameReader reader(kDefaultMaxFrame, 4096);
  const Bytes prefix = {0x00, 0x00, 0x40, 0x00};  // exactly 4 MiB
  ASSERT_TRUE(reader.append(prefix).ok());
  ASSERT_TRUE(reader.next().ok());
  // prepare never offers more than max_read at a time.
  auto space = reader.prepare(1 << 30);
  EXPECT_EQ(space.size(), 4096u);
  reader.commit(10);
  EXPECT_EQ(reader.buffered(), 14u);
}

TEST(FrameReader, PrepareIsBoundedWhenNextIsNotDrained) {
  FrameReader reader(16, 8);
  std::size_t offered = 0;
  for (int i = 0; i < 100; ++i) {
    auto space = reader.prepare(8);
    if (space.empty()) break;
    std::fill(space.begin(), space.end(), std::uint8_t{1});  // lengths of 0x01010101: refused later
    reader.commit(space.size());
    offered += space.size();
  }
  // 4 (prefix) + 16 (max_frame) + 8 (max_read) + 8 (alignment slack).
  EXPECT_LE(offered, 36u);
  EXPECT_FALSE(reader.next().ok());
}

}  // namespace
}  // namespace stockade::wire
