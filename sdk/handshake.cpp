#include "sdk/handshake.h"

#include <cstring>
#include <memory>
#include <string>

#include "sdk/socket_io.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"
#include "wire/messages.h"
#include "wire/protocol.h"

namespace stockade::sdk::detail {

namespace {

// A HelloAck or Error is a few hundred bytes; a longer answer is not one.
constexpr std::uint32_t kMaxHandshakeFrame = 64 * 1024;

Error protocol_error(std::string what) {
  return Error{Errc::protocol, std::move(what), "handshake"};
}

Result<Negotiated> read_answer(const wire::fb::Envelope& envelope) {
  using wire::fb::Body;
  switch (envelope.body_type()) {
    case Body::HelloAck: {
      const auto* ack = envelope.body_as_HelloAck();
      Negotiated n;
      n.version = ack->version();
      n.max_frame = ack->max_frame() == 0 ? wire::kDefaultMaxFrame : ack->max_frame();
      n.max_concurrency = ack->max_concurrency() == 0 ? 1 : ack->max_concurrency();
      n.memfd_threshold = ack->memfd_threshold();
      n.max_payload = ack->max_payload();
      // Both or neither: a threshold without a bound (or the reverse) would
      // leave one side sending what the other refuses.
      if ((n.memfd_threshold == 0) != (n.max_payload == 0) || n.memfd_threshold > n.max_frame) {
        return protocol_error("the host granted memfd_threshold " + std::to_string(n.memfd_threshold) +
                              " with max_payload " + std::to_string(n.max_payload) +
                              " (both 0, or a threshold within max_frame and a bound, expected)");
      }
      if (n.version != wire::kProtocolVersion) {
        return protocol_error("the host chose protocol version " + std::to_string(n.version) +
                              ", which this plugin does not speak (it speaks " +
                              std::to_string(wire::kProtocolVersion) + ")");
      }
      if (n.max_frame > wire::kMaxFrameCeiling) {
        return protocol_error("the host granted max_frame " + std::to_string(n.max_frame) +
                              ", above the ceiling " + std::to_string(wire::kMaxFrameCeiling));
      }
      return n;
    }
    case Body::Error: {
      const auto* error = envelope.body_as_Error();
      return Error{Errc::refused,
                   "the supervisor refused the handshake: " +
                       std::string(wire::fb::EnumNameErrorCode(error->code())) + ": " +
                       std::string(wire::view(error->message())),
                   "handshake"};
    }
    default:
      return protocol_error(std::string("expected HelloAck or Error, got ") +
                            wire::body_name(envelope.body_type()));
  }
}

}  // namespace

Result<Negotiated> handshake(int fd, const HelloFields& hello, std::chrono::milliseconds timeout) {
  const std::uint32_t versions[] = {wire::kProtocolVersion};
  wire::FrameBuilder builder;
  auto frame = builder.encode_hello(0, wire::HelloInfo{versions, hello.name, hello.version,
                                                       hello.cookie, hello.memfd_payloads});
  if (!frame) return std::move(frame).error();
  if (auto sent = send_all(fd, *frame); !sent) return std::move(sent).error();

  const auto until = std::chrono::steady_clock::now() + timeout;
  std::uint8_t prefix[wire::kLengthPrefixSize];
  if (auto got = read_exact_until(fd, prefix, until); !got) return std::move(got).error();
  const std::uint32_t length = std::uint32_t{prefix[0]} | std::uint32_t{prefix[1]} << 8 |
                               std::uint32_t{prefix[2]} << 16 | std::uint32_t{prefix[3]} << 24;
  if (length == 0 || length > kMaxHandshakeFrame) {
    return protocol_error("the host's answer to Hello has a length of " + std::to_string(length) +
                          " bytes (1.." + std::to_string(kMaxHandshakeFrame) + " expected)");
  }
  // uint64_t storage: decode_frame wants the body 8-byte aligned.
  auto storage = std::make_unique<std::uint64_t[]>((length + 7) / 8);
  std::span<std::uint8_t> body(reinterpret_cast<std::uint8_t*>(storage.get()), length);
  if (auto got = read_exact_until(fd, body, until); !got) return std::move(got).error();
  wire::DecodeLimits limits;
  limits.max_frame = kMaxHandshakeFrame;
  auto envelope = wire::decode_frame(body, limits);
  if (!envelope) {
    return protocol_error("the host's answer to Hello is malformed: " + envelope.error().message());
  }
  return read_answer(**envelope);
}

}  // namespace stockade::sdk::detail
