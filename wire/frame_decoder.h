// Decoding: decode_frame verifies one frame body (the N bytes after the length
// prefix) and only then hands out its Envelope. Bad input never throws and is
// never read before flatbuffers::Verifier has passed it; every failure is an
// Error with Errc::protocol whose `what` names the problem and the field.
#pragma once

#include <cstdint>
#include <span>

#include "stockade/result.h"
#include "wire/messages.h"
#include "wire/protocol.h"

namespace stockade::wire {

// Bounds on one frame. The defaults suit protocol v1; a plugin's manifest may
// lower max_frame. Both ends use the same struct: the decoder to refuse, the
// encoder (FrameBuilder) to avoid sending what the peer would refuse.
struct DecodeLimits {
  std::uint32_t max_frame = kDefaultMaxFrame;  // body bytes; also bounds payloads
  std::uint32_t max_depth = 16;                // nesting of tables and vectors
  std::uint32_t max_tables = 1024;             // tables per frame (Verifier)
  std::uint32_t max_string = 4096;             // names, versions, messages, metadata
  std::uint32_t max_method = 256;              // ExecuteRequest.method
  std::uint32_t max_versions = 16;             // Hello.versions items
  std::uint32_t max_list_items = 256;          // capabilities, methods, metadata items
  // Largest payload an ExecuteRequest/ExecuteResponse may announce in a
  // memfd (payload_memfd); 0: none, memfd payloads were not negotiated.
  std::uint64_t max_memfd_payload = 0;
};

// Verifies `body` and returns its root. `body` must start at a
// kBodyAlignment-aligned address (FrameReader and FrameBuilder guarantee it);
// a misaligned body is refused rather than read with misaligned scalars. The pointer aims into `body` and is
// valid as long as those bytes are.
Result<const fb::Envelope*> decode_frame(std::span<const std::uint8_t> body,
                                         const DecodeLimits& limits = {});

// The checks decode_frame makes after verification (known union type and enum
// values, required fields, string and list bounds), for an Envelope that is
// already known to be structurally valid. FrameBuilder runs it on its output.
Status check_envelope(const fb::Envelope& envelope, const DecodeLimits& limits);

}  // namespace stockade::wire
