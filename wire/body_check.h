// The checks every framed FlatBuffers body gets before its own schema's, for
// the plugin wire and the control protocol alike: the size within the frame
// limit, an 8-byte aligned address, room for the root offset and the file
// identifier, the identifier, and the Verifier bounded in depth and tables.
// `where` names the protocol in errors ("wire frame", "control frame").
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "flatbuffers/verifier.h"
#include "stockade/result.h"

namespace stockade::wire {

struct BodyBounds {
  std::uint32_t max_frame;
  std::uint32_t max_depth;
  std::uint32_t max_tables;
};

// Everything but the Verifier (size, alignment, length, identifier).
Status check_body_bytes(std::span<const std::uint8_t> body, std::uint32_t max_frame,
                        const char* identifier, const char* where);
Error verification_failed(const BodyBounds& bounds, const char* where);

template <typename Root>
Status verify_body(std::span<const std::uint8_t> body, const BodyBounds& bounds,
                   const char* identifier, const char* where) {
  if (auto st = check_body_bytes(body, bounds.max_frame, identifier, where); !st) return st;
  flatbuffers::Verifier::Options options;
  options.max_depth = bounds.max_depth;
  options.max_tables = bounds.max_tables;
  options.check_alignment = true;
  options.check_nested_flatbuffers = false;  // neither schema has any
  flatbuffers::Verifier verifier(body.data(), body.size(), options);
  if (!verifier.VerifyBuffer<Root>(identifier)) return verification_failed(bounds, where);
  return {};
}

}  // namespace stockade::wire
