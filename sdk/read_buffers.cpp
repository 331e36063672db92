#include "sdk/read_buffers.h"

#include <algorithm>

namespace stockade::sdk::detail {

void ReadBuffers::Pin::reset() {
  if (slot_) slot_->pins.fetch_sub(1, std::memory_order_release);
  slot_ = nullptr;
}

ReadBuffers::ReadBuffers(std::uint32_t max_frame, std::size_t max_read, std::size_t max_buffers)
    : max_frame_(max_frame), max_read_(max_read), max_buffers_(std::max<std::size_t>(max_buffers, 1)) {
  slots_.push_back(std::make_unique<Slot>(max_frame_, max_read_));
  current_ = slots_.front().get();
}

ReadBuffers::Slot* ReadBuffers::spare() {
  for (auto& slot : slots_) {
    if (slot.get() != current_ && !pinned(*slot)) return slot.get();
  }
  return nullptr;
}

wire::FrameReader& ReadBuffers::for_read() {
  if (!pinned(*current_)) return current_->reader;
  Slot* next = spare();
  if (!next) {
    // pin() only pins when a spare exists or may be allocated, and spares
    // only grow meanwhile (pins are released, never taken, by other
    // threads): this allocation stays within max_buffers.
    slots_.push_back(std::make_unique<Slot>(max_frame_, max_read_));
    next = slots_.back().get();
  }
  next->reader.clear();
  // Cannot fail: the reader is not failed (a failed read ends the session)
  // and the bytes are at most one buffer's worth.
  (void)next->reader.append(current_->reader.unconsumed());
  current_->reader.clear();
  current_ = next;
  return current_->reader;
}

ReadBuffers::Pin ReadBuffers::pin() {
  if (max_buffers_ < 2) return {};
  if (slots_.size() >= max_buffers_ && !spare()) return {};
  return Pin(current_);
}

}  // namespace stockade::sdk::detail
