#include "wire/body_check.h"

#include <algorithm>

#include "wire/protocol.h"

namespace stockade::wire {
namespace {

Error body_error(std::string what, const char* where) { return Error{Errc::protocol, std::move(what), where}; }

}  // namespace

Status check_body_bytes(std::span<const std::uint8_t> body, std::uint32_t max_frame,
                        const char* identifier, const char* where) {
  max_frame = std::min(max_frame, kMaxFrameCeiling);
  if (body.empty()) return body_error("frame body is empty", where);
  if (body.size() > max_frame) {
    return body_error("frame body has " + std::to_string(body.size()) + " bytes (limit " +
                          std::to_string(max_frame) + ")", where);
  }
  // The Verifier checks alignment relative to the body's first byte; reading
  // scalars is only aligned in memory if that first byte is aligned too.
  if (reinterpret_cast<std::uintptr_t>(body.data()) % kBodyAlignment != 0) {
    return body_error("frame body is not " + std::to_string(kBodyAlignment) +
                          "-byte aligned in memory (a bug of the caller's buffer)", where);
  }
  // Root offset + identifier: anything shorter cannot be a root table.
  if (body.size() < 2 * sizeof(flatbuffers::uoffset_t)) {
    return body_error("frame body has " + std::to_string(body.size()) +
                          " bytes, too short for a FlatBuffer", where);
  }
  if (!flatbuffers::BufferHasIdentifier(body.data(), identifier)) {
    return body_error(std::string("frame body lacks the file identifier ") + identifier, where);
  }
  return {};
}

Error verification_failed(const BodyBounds& bounds, const char* where) {
  return body_error(
      "frame body failed FlatBuffers verification (an offset or length out of bounds, a "
      "misaligned field, a string without its terminator, or more than " +
          std::to_string(bounds.max_depth) + " levels or " + std::to_string(bounds.max_tables) + " tables)",
      where);
}

}  // namespace stockade::wire
