// Decoding: decode_control verifies one control frame body (the N bytes after
// the length prefix, as wire::FrameReader hands them out) and only then hands
// out its Envelope, in the manner of wire::decode_frame. Bad input never
// throws and is never read before flatbuffers::Verifier has passed it; every
// failure is an Error with Errc::protocol whose `what` names the field.
#pragma once

#include <cstdint>
#include <span>

#include "control/messages.h"
#include "control/protocol.h"
#include "stockade/result.h"

namespace stockade::control {

// Bounds on one control frame. Both ends use the same struct: the decoder to
// refuse, ControlBuilder to avoid sending what the peer would refuse.
struct ControlLimits {
  std::uint32_t max_frame = kDefaultMaxFrame;  // body bytes; bounds payloads and metrics text
  std::uint32_t max_depth = 16;                // nesting of tables and vectors
  std::uint32_t max_tables = 4096;             // tables per frame (a StatusReply has one a plugin)
  std::uint32_t max_string = 4096;             // messages, reasons, versions, metadata
  std::uint32_t max_name = 256;                // plugin names
  std::uint32_t max_method = 256;              // Call.method, InfoReply.methods items
  std::uint32_t max_list_items = 256;          // capabilities, methods, metadata, reload lists
  std::uint32_t max_plugins = 1024;            // StatusReply.plugins items
};

// Verifies `body` and returns its root. `body` must start at a
// kBodyAlignment-aligned address; the pointer aims into `body`. Refused:
// an empty, oversized, misaligned or too short body, a missing "STKC", a
// failed verification, a version other than kControlVersion (so a client of
// another version is told, not misread), and whatever check_control refuses.
Result<const fb::Envelope*> decode_control(std::span<const std::uint8_t> body,
                                           const ControlLimits& limits = {});

// The checks made after verification (version, known union type and enum
// values, request ids, required fields, string and list bounds) for an
// Envelope already known to be structurally valid. ControlBuilder runs it on
// its own output.
Status check_control(const fb::Envelope& envelope, const ControlLimits& limits);

// The verified Envelope as plain data (every field copied).
Message read_message(const fb::Envelope& envelope);

// decode_control + read_message.
Result<Message> decode_message(std::span<const std::uint8_t> body,
                               const ControlLimits& limits = {});

}  // namespace stockade::control
