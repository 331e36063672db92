// FrameBatch: an output queue that packs several frames back to back so they
// leave in one write(2) (syscalls, not bytes, are the cost of small frames).
// One memcpy per frame; partial writes are handled with consume().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "stockade/result.h"
#include "wire/frame_builder.h"

namespace stockade::wire {

class FrameBatch {
 public:
  // `max_bytes` bounds the queued bytes; add() beyond it fails with Errc::limit.
  explicit FrameBatch(std::size_t max_bytes = 16u * 1024 * 1024) : max_bytes_(max_bytes) {}

  // Queues one whole frame (as returned by FrameBuilder).
  Status add(std::span<const std::uint8_t> frame);
  // The same for a frame in pieces (one copy of each).
  Status add(const GatheredFrame& frame);
  // Whether add() of `bytes` more would stay within the bound.
  bool fits(std::size_t bytes) const;
  // The queued bytes not yet written.
  std::span<const std::uint8_t> pending() const {
    return std::span<const std::uint8_t>(bytes_).subspan(head_);
  }
  // Drops the first n pending bytes (after a write(2) of n bytes).
  void consume(std::size_t n);
  bool empty() const { return head_ == bytes_.size(); }

 private:
  std::size_t max_bytes_;
  std::vector<std::uint8_t> bytes_;
  std::size_t head_ = 0;  // bytes_ before head_ were already written
};

}  // namespace stockade::wire
