#include "wire/frame_decoder.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "flatbuffers/verifier.h"
#include "wire/body_check.h"

namespace stockade::wire {
namespace {

Error protocol_error(std::string what) {
  return Error{Errc::protocol, std::move(what), "wire frame"};
}

// Each check_* runs after flatbuffers::Verifier accepted the frame, so every
// pointer it follows is known to be in bounds.

Status check_string(const flatbuffers::String* s, const char* field, std::uint32_t limit,
                    bool required) {
  if (s == nullptr) {
    if (required) return protocol_error(std::string(field) + " missing");
    return {};
  }
  if (s->size() > limit) {
    return protocol_error(std::string(field) + " has " + std::to_string(s->size()) +
                          " bytes (limit " + std::to_string(limit) + ")");
  }
  return {};
}

template <typename T>
Status check_count(const flatbuffers::Vector<T>* v, const char* field, std::uint32_t limit) {
  if (v != nullptr && v->size() > limit) {
    return protocol_error(std::string(field) + " has " + std::to_string(v->size()) +
                          " items (limit " + std::to_string(limit) + ")");
  }
  return {};
}

Status check_string_list(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v,
                         const char* field, std::uint32_t max_items, std::uint32_t max_bytes) {
  if (auto st = check_count(v, field, max_items); !st) return st;
  if (v == nullptr) return {};
  for (const flatbuffers::String* s : *v) {
    // A null element cannot pass the Verifier, but the bound is cheap to keep.
    if (auto st = check_string(s, field, max_bytes, true); !st) return st;
  }
  return {};
}

Status check_error(const fb::Error& e, const char* where, const DecodeLimits& limits) {
  if (e.code() < fb::ErrorCode::MIN || e.code() > fb::ErrorCode::MAX) {
    return protocol_error(std::string(where) + ".code has unknown value " +
                          std::to_string(static_cast<std::uint16_t>(e.code())));
  }
  const std::string field = std::string(where) + ".message";
  return check_string(e.message(), field.c_str(), limits.max_string, false);
}

Status check_hello(const fb::Hello& m, const DecodeLimits& limits) {
  const auto* versions = m.versions();
  if (versions == nullptr) return protocol_error("Hello.versions missing");
  if (versions->size() == 0) return protocol_error("Hello.versions is empty");
  if (auto st = check_count(versions, "Hello.versions", limits.max_versions); !st) return st;
  if (auto st = check_string(m.name(), "Hello.name", limits.max_string, true); !st) return st;
  if (auto st = check_string(m.version(), "Hello.version", limits.max_string, false); !st) {
    return st;
  }
  return check_string(m.cookie(), "Hello.cookie", limits.max_string, false);
}

// A payload announced in a memfd: within what the handshake granted, and
// not beside an inline payload (which one would the receiver believe?).
Status check_payload_memfd(std::uint64_t size, const flatbuffers::Vector<std::uint8_t>* inline_payload,
                           const char* table, const DecodeLimits& limits) {
  if (size == 0) return {};
  if (size > limits.max_memfd_payload) {
    return protocol_error(std::string(table) + ".payload_memfd announces " + std::to_string(size) +
                          " bytes, above the " + std::to_string(limits.max_memfd_payload) +
                          " bytes granted in the handshake (HelloAck.max_payload)");
  }
  if (inline_payload != nullptr && inline_payload->size() != 0) {
    return protocol_error(std::string(table) + " has both a payload and a payload_memfd");
  }
  return {};
}

Status check_execute_request(const fb::ExecuteRequest& m, const DecodeLimits& limits) {
  if (auto st = check_string(m.method(), "ExecuteRequest.method", limits.max_method, true); !st) {
    return st;
  }
  if (m.method()->size() == 0) return protocol_error("ExecuteRequest.method is empty");
  if (auto st = check_count(m.payload(), "ExecuteRequest.payload", limits.max_frame); !st) return st;
  return check_payload_memfd(m.payload_memfd(), m.payload(), "ExecuteRequest", limits);
}

Status check_execute_response(const fb::ExecuteResponse& m, const DecodeLimits& limits) {
  if (auto st = check_count(m.payload(), "ExecuteResponse.payload", limits.max_frame); !st) {
    return st;
  }
  if (auto st = check_payload_memfd(m.payload_memfd(), m.payload(), "ExecuteResponse", limits); !st) {
    return st;
  }
  if (m.error() == nullptr) return {};
  if (m.payload_memfd() != 0) {
    return protocol_error("ExecuteResponse has both an error and a payload_memfd");
  }
  return check_error(*m.error(), "ExecuteResponse.error", limits);
}

Status check_health_response(const fb::HealthResponse& m, const DecodeLimits& limits) {
  if (m.status() < fb::ServingStatus::MIN || m.status() > fb::ServingStatus::MAX) {
    return protocol_error("HealthResponse.status has unknown value " +
                          std::to_string(static_cast<std::uint8_t>(m.status())));
  }
  return check_string(m.message(), "HealthResponse.message", limits.max_string, false);
}

Status check_info_response(const fb::InfoResponse& m, const DecodeLimits& limits) {
  if (auto st = check_string(m.name(), "InfoResponse.name", limits.max_string, false); !st) {
    return st;
  }
  if (auto st = check_string(m.version(), "InfoResponse.version", limits.max_string, false); !st) {
    return st;
  }
  if (auto st = check_string(m.description(), "InfoResponse.description", limits.max_string,
                             false);
      !st) {
    return st;
  }
  if (auto st = check_string_list(m.capabilities(), "InfoResponse.capabilities",
                                  limits.max_list_items, limits.max_string);
      !st) {
    return st;
  }
  if (auto st = check_string_list(m.methods(), "InfoResponse.methods", limits.max_list_items,
                                  limits.max_method);
      !st) {
    return st;
  }
  const auto* metadata = m.metadata();
  if (auto st = check_count(metadata, "InfoResponse.metadata", limits.max_list_items); !st) {
    return st;
  }
  if (metadata == nullptr) return {};
  for (const fb::KeyValue* kv : *metadata) {
    if (kv == nullptr) return protocol_error("InfoResponse.metadata has a null entry");
    if (auto st = check_string(kv->key(), "InfoResponse.metadata.key", limits.max_string, true);
        !st) {
      return st;
    }
    if (auto st = check_string(kv->value(), "InfoResponse.metadata.value", limits.max_string,
                               false);
        !st) {
      return st;
    }
  }
  return {};
}

}  // namespace

Status check_envelope(const fb::Envelope& envelope, const DecodeLimits& limits) {
  const fb::Body type = envelope.body_type();
  if (type == fb::Body::NONE) return protocol_error("Envelope.body missing");
  if (type < fb::Body::MIN || type > fb::Body::MAX) {
    return protocol_error("Envelope.body has unknown type " +
                          std::to_string(static_cast<std::uint8_t>(type)));
  }
  // The generated verifier accepts a union whose type is set but whose table
  // is absent; every body kind here is a table, so refuse that.
  if (envelope.body() == nullptr) {
    return protocol_error(std::string("Envelope.body of type ") + body_name(type) + " missing");
  }
  switch (type) {
    case fb::Body::Hello: return check_hello(*envelope.body_as_Hello(), limits);
    case fb::Body::ExecuteRequest:
      return check_execute_request(*envelope.body_as_ExecuteRequest(), limits);
    case fb::Body::ExecuteResponse:
      return check_execute_response(*envelope.body_as_ExecuteResponse(), limits);
    case fb::Body::HealthResponse:
      return check_health_response(*envelope.body_as_HealthResponse(), limits);
    case fb::Body::InfoResponse:
      return check_info_response(*envelope.body_as_InfoResponse(), limits);
    case fb::Body::Error: return check_error(*envelope.body_as_Error(), "Error", limits);
    case fb::Body::HelloAck:
    case fb::Body::Cancel:
    case fb::Body::HealthRequest:
    case fb::Body::InfoRequest:
    case fb::Body::CloseRequest:
    case fb::Body::NONE: return {};  // scalars only; NONE was refused above
  }
  return protocol_error("Envelope.body has unknown type");
}

Result<const fb::Envelope*> decode_frame(std::span<const std::uint8_t> body,
                                         const DecodeLimits& limits) {
  if (auto st = verify_body<fb::Envelope>(
          body, {limits.max_frame, limits.max_depth, limits.max_tables}, kFileIdentifier, "wire frame");
      !st) {
    return std::move(st).error();
  }
  const fb::Envelope* envelope = fb::GetEnvelope(body.data());
  if (auto st = check_envelope(*envelope, limits); !st) return std::move(st).error();
  return envelope;
}

}  // namespace stockade::wire
