#include "wire/frame_batch.h"

#include <algorithm>
#include <string>

namespace stockade::wire {

bool FrameBatch::fits(std::size_t bytes) const {
  const std::size_t queued = bytes_.size() - head_;
  return bytes <= max_bytes_ - std::min(queued, max_bytes_);
}

Status FrameBatch::add(std::span<const std::uint8_t> frame) { return add(GatheredFrame{frame, {}, {}}); }

Status FrameBatch::add(const GatheredFrame& frame) {
  // Reclaim the written prefix before growing, so a queue that keeps up never
  // grows past one burst of frames.
  if (head_ == bytes_.size()) {
    bytes_.clear();
    head_ = 0;
  }
  if (!fits(frame.size())) {
    return Error{Errc::limit,
                 "output queue full: " + std::to_string(bytes_.size() - head_) + " bytes queued, frame of " +
                     std::to_string(frame.size()) + " would pass the limit of " +
                     std::to_string(max_bytes_),
                 "FrameBatch"};
  }
  if (head_ > 0 && bytes_.size() + frame.size() > bytes_.capacity()) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  for (auto piece : {frame.head, frame.payload, frame.tail}) {
    bytes_.insert(bytes_.end(), piece.begin(), piece.end());
  }
  return {};
}

void FrameBatch::consume(std::size_t n) {
  head_ += std::min(n, bytes_.size() - head_);
  if (head_ == bytes_.size()) {
    bytes_.clear();
    head_ = 0;
  }
}

}  // namespace stockade::wire
