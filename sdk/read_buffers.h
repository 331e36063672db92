// ReadBuffers: the buffers the session reads frames into, so that a call's
// payload can be handed to execute() as a view into the buffer its frame was
// read and decoded in (no copy), while the next frames are read elsewhere.
//
// A call holding a view pins its buffer (Pin); the reader never prepares a
// pinned buffer (prepare() may compact or reallocate, which would move bytes
// under the view). When the current buffer is pinned at the next read, the
// reader moves to an unpinned one, carrying over the bytes of a partial frame
// (one copy of at most one frame, and only on that path).
//
// Bounded: at most `max_buffers` buffers, each at most max_frame + max_read
// bytes. pin() refuses (the caller copies the payload instead) when taking
// the pin could leave the next read with no unpinned buffer: so a read always
// finds one, and a host that keeps calls waiting cannot make the plugin
// allocate more than max_buffers buffers.
//
// Only the thread holding the reading role calls for_read() and pin();
// Pins are released from any thread (a release store, so the call's reads of
// the view happen before the reader's next write into that buffer).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "wire/frame_reader.h"

namespace stockade::sdk::detail {

class ReadBuffers {
  struct Slot {
    Slot(std::uint32_t max_frame, std::size_t max_read) : reader(max_frame, max_read) {}
    wire::FrameReader reader;
    std::atomic<std::uint32_t> pins{0};
  };

 public:
  // Keeps a buffer from being reused while a call reads a view into it.
  // Copyable (each copy is one more pin) so that it fits in std::function.
  class Pin {
   public:
    Pin() = default;
    explicit Pin(Slot* slot) : slot_(slot) { acquire(); }
    Pin(const Pin& other) : slot_(other.slot_) { acquire(); }
    Pin(Pin&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
    Pin& operator=(Pin other) noexcept {
      std::swap(slot_, other.slot_);
      return *this;
    }
    ~Pin() { reset(); }
    void reset();
    explicit operator bool() const { return slot_ != nullptr; }

   private:
    void acquire() {
      if (slot_) slot_->pins.fetch_add(1, std::memory_order_relaxed);
    }
    Slot* slot_ = nullptr;
  };

  ReadBuffers(std::uint32_t max_frame, std::size_t max_read, std::size_t max_buffers);

  // The reader to prepare() and decode from: the current one if no call pins
  // it, otherwise an unpinned one holding the current one's unconsumed bytes.
  wire::FrameReader& for_read();
  // A pin on the current buffer, or an empty Pin when the caller must copy
  // (see above).
  Pin pin();
  // Buffers allocated so far (for tests of the bound).
  std::size_t count() const { return slots_.size(); }

 private:
  static bool pinned(const Slot& slot) { return slot.pins.load(std::memory_order_acquire) != 0; }
  // An unpinned slot other than the current one, or nullptr.
  Slot* spare();

  const std::uint32_t max_frame_;
  const std::size_t max_read_;
  const std::size_t max_buffers_;
  std::vector<std::unique_ptr<Slot>> slots_;
  Slot* current_;
};

}  // namespace stockade::sdk::detail
