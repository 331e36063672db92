// RawLink: the protocol socket without the SDK's dispatch loop, for the
// misbehaving plugins that must break the protocol on purpose (the SDK never
// would). Blocking reads and writes; one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "sdk/handshake.h"
#include "wire/frame_builder.h"
#include "wire/frame_reader.h"
#include "wire/messages.h"

namespace stockade::examples::misbehaving {

class RawLink {
 public:
  // Exits 1 with the SDK's started-by-hand message unless fd 3 is a socket
  // and the cookie is set.
  explicit RawLink(std::string name);

  // The normal handshake (Hello with version 1, offering memfd payloads
  // when asked); exits 1 if it fails.
  sdk::detail::Negotiated handshake(bool memfd_payloads = false);
  // The next frame from the host, or nullptr at end of stream. Exits 1 on a
  // malformed frame. Valid until the next call.
  const wire::fb::Envelope* next();
  // Writes bytes as they are: whole frames from builder(), or deliberate junk.
  void send(std::span<const std::uint8_t> bytes);
  // The same, with `fd` passed beside the first byte (SCM_RIGHTS).
  void send_with_fd(std::span<const std::uint8_t> bytes, int fd);
  // Replaces the builder (after a handshake that granted memfd payloads).
  void set_limits(const wire::DecodeLimits& limits) { builder_ = wire::FrameBuilder(limits); }

  wire::FrameBuilder& builder() { return builder_; }
  const std::string& name() const { return name_; }
  const char* cookie() const { return cookie_; }
  int fd() const { return 3; }

 private:
  std::string name_;
  const char* cookie_ = nullptr;
  wire::FrameBuilder builder_;
  wire::FrameReader reader_{wire::kDefaultMaxFrame};
};

// Serves Health (SERVING) and Info like a well-behaved plugin and hands each
// ExecuteRequest to `on_execute`. CloseRequest ends it with exit 0 when
// `obey_close`; end of stream returns.
void serve_raw(RawLink& link,
               const std::function<void(std::uint64_t id, const wire::fb::ExecuteRequest&)>& on_execute,
               bool obey_close = true);

// Sleeps until the host closes the socket (then returns), reading and
// dropping whatever it sends.
void drain_until_eof(int fd);

}  // namespace stockade::examples::misbehaving
