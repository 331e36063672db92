#include "raw_link.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "sdk/launch_check.h"
#include "sdk/socket_io.h"
#include "wire/frame_decoder.h"
#include "wire/protocol.h"

namespace stockade::examples::misbehaving {

RawLink::RawLink(std::string name) : name_(std::move(name)) {
  if (auto reason = sdk::detail::not_started_by_stockade(wire::kPluginSocketFd, wire::kCookieEnvVar)) {
    std::fputs(sdk::detail::started_by_hand_message(name_, *reason).c_str(), stderr);
    std::exit(1);
  }
  cookie_ = std::getenv(wire::kCookieEnvVar);
}

sdk::detail::Negotiated RawLink::handshake(bool memfd_payloads) {
  auto negotiated = sdk::detail::handshake(fd(), {name_, "1.0.0", cookie_, memfd_payloads},
                                           std::chrono::milliseconds(10000));
  if (!negotiated) {
    std::fprintf(stderr, "%s: handshake failed: %s\n", name_.c_str(),
                 negotiated.error().message().c_str());
    std::exit(1);
  }
  return *negotiated;
}

const wire::fb::Envelope* RawLink::next() {
  for (;;) {
    auto body = reader_.next();
    if (body && *body) {
      auto envelope = wire::decode_frame(**body);
      if (!envelope) {
        std::fprintf(stderr, "%s: %s\n", name_.c_str(), envelope.error().message().c_str());
        std::exit(1);
      }
      return *envelope;
    }
    if (!body) {
      std::fprintf(stderr, "%s: %s\n", name_.c_str(), body.error().message().c_str());
      std::exit(1);
    }
    auto n = sdk::detail::read_some(fd(), reader_.prepare(64 * 1024));
    if (!n || *n == 0) return nullptr;
    reader_.commit(*n);
  }
}

void RawLink::send(std::span<const std::uint8_t> bytes) {
  if (auto sent = sdk::detail::send_all(fd(), bytes); !sent) {
    std::fprintf(stderr, "%s: %s\n", name_.c_str(), sent.error().message().c_str());
    std::exit(1);
  }
}

void RawLink::send_with_fd(std::span<const std::uint8_t> bytes, int fd) {
  if (auto sent = sdk::detail::send_all_with_fd(this->fd(), bytes, fd); !sent) {
    std::fprintf(stderr, "%s: %s\n", name_.c_str(), sent.error().message().c_str());
    std::exit(1);
  }
}

void serve_raw(RawLink& link,
               const std::function<void(std::uint64_t id, const wire::fb::ExecuteRequest&)>& on_execute,
               bool obey_close) {
  using wire::fb::Body;
  while (const auto* envelope = link.next()) {
    switch (envelope->body_type()) {
      case Body::ExecuteRequest:
        on_execute(envelope->id(), *envelope->body_as_ExecuteRequest());
        break;
      case Body::HealthRequest:
        if (auto f = link.builder().encode_health_response(envelope->id(),
                                                           wire::fb::ServingStatus::SERVING, ""))
          link.send(*f);
        break;
      case Body::InfoRequest: {
        wire::InfoResponseInfo info;
        info.name = link.name();
        info.version = "1.0.0";
        if (auto f = link.builder().encode_info_response(envelope->id(), info)) link.send(*f);
        break;
      }
      case Body::CloseRequest:
        if (obey_close) std::exit(0);
        break;
      default:
        break;
    }
  }
}

void drain_until_eof(int fd) {
  std::uint8_t buffer[4096];
  for (;;) {
    auto n = sdk::detail::read_some(fd, buffer);
    if (!n || *n == 0) return;
  }
}

}  // namespace stockade::examples::misbehaving
