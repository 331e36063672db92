// The plugin's half of the handshake: send Hello, read exactly one frame
// back (HelloAck or Error). Reading exactly that frame, not a buffer-full,
// leaves any request the host pipelined behind it in the socket for the
// session's reader, which is sized by the negotiated max_frame.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "stockade/result.h"

namespace stockade::sdk::detail {

// What the host granted in HelloAck.
struct Negotiated {
  std::uint32_t version = 0;
  std::uint32_t max_frame = 0;        // 0 in HelloAck means the default
  std::uint32_t max_concurrency = 1;  // 0 in HelloAck means 1
  // Payloads of memfd_threshold bytes or more go in sealed memfds, up to
  // max_payload bytes; 0 and 0: frames only.
  std::uint32_t memfd_threshold = 0;
  std::uint64_t max_payload = 0;
};

struct HelloFields {
  std::string_view name;
  std::string_view version;
  std::string_view cookie;
  bool memfd_payloads = false;  // offer to take and send payloads in memfds
};

// Errc::refused when the host answered with an Error (its code and message in
// `what`), Errc::protocol for a malformed or unexpected answer,
// Errc::timeout when nothing came within `timeout`.
Result<Negotiated> handshake(int fd, const HelloFields& hello, std::chrono::milliseconds timeout);

}  // namespace stockade::sdk::detail
