#include "wire/frame_reader.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

namespace stockade::wire {
namespace {

// Where pending bytes start after a reset or compaction: the length prefix at
// 4 puts the body at 8, aligned, without a move in next().
constexpr std::size_t kStartOffset = kLengthPrefixSize;
constexpr std::size_t kMinCapacity = 1024;

static_assert(kBodyAlignment <= alignof(std::uint64_t),
              "storage must be at least as aligned as the bodies it hands out");

std::uint32_t read_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

}  // namespace

FrameReader::FrameReader(std::uint32_t max_frame, std::size_t max_read)
    : max_frame_(std::min(max_frame, kMaxFrameCeiling)), max_read_(std::max<std::size_t>(max_read, 1)) {}

std::uint8_t* FrameReader::data() { return reinterpret_cast<std::uint8_t*>(storage_.get()); }

std::size_t FrameReader::memory_limit() const {
  return kStartOffset + kLengthPrefixSize + max_frame_ + max_read_ + kBodyAlignment;
}

void FrameReader::reserve_tail(std::size_t want, std::size_t limit) {
  if (capacity_ - end_ >= want) return;
  const std::size_t unread = end_ - begin_;
  const std::size_t needed = kStartOffset + unread + want;
  // Compacting is one memmove of the pending bytes; worth it only when it
  // frees enough room, otherwise the reallocation below copies them anyway.
  if (begin_ > kStartOffset && needed <= capacity_) {
    std::memmove(data() + kStartOffset, data() + begin_, unread);
    begin_ = kStartOffset;
    end_ = kStartOffset + unread;
    return;
  }
  const std::size_t grown = std::min(std::max(capacity_ * 2, kMinCapacity), limit);
  const std::size_t capacity = round_up(std::max(needed, grown), sizeof(std::uint64_t));
  auto storage = std::make_unique_for_overwrite<std::uint64_t[]>(capacity / sizeof(std::uint64_t));
  if (unread > 0) {
    std::memcpy(reinterpret_cast<std::uint8_t*>(storage.get()) + kStartOffset, data() + begin_,
                unread);
  }
  storage_ = std::move(storage);
  capacity_ = capacity;
  begin_ = kStartOffset;
  end_ = kStartOffset + unread;
}

std::size_t FrameReader::release_if_empty() {
  if (begin_ != end_ || capacity_ == 0) return 0;
  const std::size_t freed = capacity_;
  storage_.reset();
  capacity_ = begin_ = end_ = prepared_ = 0;
  return freed;
}

std::span<const std::uint8_t> FrameReader::unconsumed() const {
  if (capacity_ == 0) return {};
  return {reinterpret_cast<const std::uint8_t*>(storage_.get()) + begin_, end_ - begin_};
}

void FrameReader::clear() {
  prepared_ = 0;
  begin_ = end_ = capacity_ > 0 ? kStartOffset : 0;
}

std::span<std::uint8_t> FrameReader::prepare(std::size_t want) {
  prepared_ = 0;
  if (failed_) return {};
  if (begin_ == end_ && capacity_ > 0) begin_ = end_ = kStartOffset;
  const std::size_t limit = memory_limit();
  const std::size_t unread = end_ - begin_;
  if (kStartOffset + unread >= limit) return {};
  want = std::min({want, max_read_, limit - kStartOffset - unread});
  if (want == 0) return {};
  reserve_tail(want, limit);
  prepared_ = want;
  return {data() + end_, want};
}

void FrameReader::commit(std::size_t n) {
  assert(n <= prepared_ && "commit() of more bytes than prepare() offered");
  end_ += std::min(n, prepared_);
  prepared_ = 0;
}

Status FrameReader::append(std::span<const std::uint8_t> bytes) {
  prepared_ = 0;
  if (failed_) return *failed_;
  if (bytes.empty()) return {};
  if (begin_ == end_ && capacity_ > 0) begin_ = end_ = kStartOffset;
  // The caller already holds these bytes, so their count is not the peer's to
  // choose; the reader's own growth stays geometric and bounded by them.
  reserve_tail(bytes.size(), std::max(memory_limit(), kStartOffset + buffered() + bytes.size()));
  std::memcpy(data() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
  return {};
}

Result<std::optional<std::span<const std::uint8_t>>> FrameReader::next() {
  prepared_ = 0;
  if (failed_) return *failed_;
  const std::size_t avail = end_ - begin_;
  if (avail < kLengthPrefixSize) return std::optional<std::span<const std::uint8_t>>{};
  const std::uint32_t length = read_le32(data() + begin_);
  // Refused before a single body byte is buffered: a hostile length must not
  // make us wait for, or allocate, what it claims.
  if (length == 0) {
    failed_ = Error{Errc::protocol, "frame length is zero", "frame reader"};
    return *failed_;
  }
  if (length > max_frame_) {
    failed_ = Error{Errc::protocol,
                    "frame length " + std::to_string(length) + " exceeds max_frame " +
                        std::to_string(max_frame_),
                    "frame reader"};
    return *failed_;
  }
  if (avail - kLengthPrefixSize < length) return std::optional<std::span<const std::uint8_t>>{};

  std::size_t body = begin_ + kLengthPrefixSize;
  begin_ = body + length;
  if (const std::size_t misalign = body % kBodyAlignment; misalign != 0) {
    // Move the body back over its own consumed prefix (and, for misalign > 4,
    // over bytes of frames already handed out, whose spans this call ended).
    // body - misalign >= 0: body = prefix + 4, prefix >= 0, prefix ≡ misalign - 4.
    std::memmove(data() + body - misalign, data() + body, length);
    body -= misalign;
  }
  return std::optional<std::span<const std::uint8_t>>{std::span<const std::uint8_t>(data() + body, length)};
}

}  // namespace stockade::wire
