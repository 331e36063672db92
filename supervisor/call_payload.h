// CallPayload: the request bytes of one Execute, owned or borrowed.
// execute_async copies the caller's bytes (they need not outlive the call);
// execute() borrows them, since its caller waits for the call's end and so
// keeps them alive through every attempt: a payload of 64 KiB then costs no
// copy before the kernel's (Channel::send sends it from the caller's memory
// and copies only what the socket does not take at once).
#pragma once

#include <cstdint>
#include <span>
#include <utility>

#include "stockade/supervisor.h"

namespace stockade::supervisor {

class CallPayload {
 public:
  static CallPayload copied(std::span<const std::uint8_t> bytes) {
    CallPayload payload;
    payload.owned_.assign(bytes.begin(), bytes.end());
    return payload;
  }
  static CallPayload borrowed(std::span<const std::uint8_t> bytes) {
    CallPayload payload;
    payload.borrowed_ = bytes;
    payload.is_borrowed_ = true;
    return payload;
  }

  std::span<const std::uint8_t> bytes() const {
    return is_borrowed_ ? borrowed_ : std::span<const std::uint8_t>(owned_);
  }

 private:
  CallPayload() = default;
  Bytes owned_;
  std::span<const std::uint8_t> borrowed_;
  bool is_borrowed_ = false;
};

}  // namespace stockade::supervisor
