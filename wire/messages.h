// The generated FlatBuffers types of protocol v1 (namespace stockade::wire::fb)
// plus small null-safe views over their strings and byte vectors.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "wire/stockade_generated.h"  // generated at build time from wire/stockade.fbs

namespace stockade::wire {

// A string field as a view; empty when the field is absent.
inline std::string_view view(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view{} : std::string_view(s->c_str(), s->size());
}

// A [ubyte] field as bytes; empty when the field is absent.
inline std::span<const std::uint8_t> bytes(const flatbuffers::Vector<std::uint8_t>* v) {
  return v == nullptr ? std::span<const std::uint8_t>{}
                      : std::span<const std::uint8_t>(v->data(), v->size());
}

// "ExecuteRequest", "Hello", ... ("NONE" or "?" for values outside the union).
const char* body_name(fb::Body type);

}  // namespace stockade::wire
