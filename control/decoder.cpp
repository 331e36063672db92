#include "control/decoder.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "flatbuffers/verifier.h"
#include "wire/body_check.h"

namespace stockade::control {
namespace {

using StringList = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;

Error protocol_error(std::string what) {
  return Error{Errc::protocol, std::move(what), "control frame"};
}

std::string num(std::size_t n) { return std::to_string(n); }

// Each check_* runs after flatbuffers::Verifier accepted the frame, so every
// pointer it follows is known to be in bounds.

enum class Need { optional, required, non_empty };

Status check_string(const flatbuffers::String* s, const std::string& field, std::uint32_t limit,
                    Need need) {
  if (s == nullptr) {
    if (need != Need::optional) return protocol_error(field + " missing");
    return {};
  }
  if (need == Need::non_empty && s->size() == 0) return protocol_error(field + " is empty");
  if (s->size() > limit) {
    return protocol_error(field + " has " + num(s->size()) + " bytes (limit " + num(limit) + ")");
  }
  return {};
}

template <typename T>
Status check_count(const flatbuffers::Vector<T>* v, const std::string& field,
                   std::uint32_t limit) {
  if (v != nullptr && v->size() > limit) {
    return protocol_error(field + " has " + num(v->size()) + " items (limit " + num(limit) + ")");
  }
  return {};
}

Status check_string_list(const StringList* v, const std::string& field, std::uint32_t max_items,
                         std::uint32_t max_bytes) {
  if (auto st = check_count(v, field, max_items); !st) return st;
  if (v == nullptr) return {};
  for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) {
    // A null element cannot pass the Verifier; the bound is what matters.
    if (auto st = check_string(v->Get(i), field + "[" + num(i) + "]", max_bytes, Need::required);
        !st) {
      return st;
    }
  }
  return {};
}

// The plugin a request names: required, non-empty, bounded.
Status check_plugin(const flatbuffers::String* s, const char* table, const ControlLimits& l) {
  return check_string(s, std::string(table) + ".plugin", l.max_name, Need::non_empty);
}

Status check_error(const fb::Error& m, const ControlLimits& l) {
  if (m.code() < fb::Code::MIN || m.code() > fb::Code::MAX) {
    return protocol_error("Error.code has unknown value " +
                          num(static_cast<std::uint16_t>(m.code())));
  }
  if (m.delivery() < fb::Delivery::MIN || m.delivery() > fb::Delivery::MAX) {
    return protocol_error("Error.delivery has unknown value " +
                          num(static_cast<std::uint8_t>(m.delivery())));
  }
  return check_string(m.message(), "Error.message", l.max_string, Need::optional);
}

Status check_call(const fb::Call& m, const ControlLimits& l) {
  if (auto st = check_plugin(m.plugin(), "Call", l); !st) return st;
  if (auto st = check_string(m.method(), "Call.method", l.max_method, Need::non_empty); !st) {
    return st;
  }
  return check_count(m.payload(), "Call.payload", l.max_frame);
}

Status check_plugin_status(const fb::PluginStatus& m, const std::string& at,
                           const ControlLimits& l) {
  if (auto st = check_string(m.name(), at + ".name", l.max_name, Need::non_empty); !st) return st;
  if (m.state() < fb::PluginState::MIN || m.state() > fb::PluginState::MAX) {
    return protocol_error(at + ".state has unknown value " +
                          num(static_cast<std::uint8_t>(m.state())));
  }
  if (auto st = check_string(m.reason(), at + ".reason", l.max_string, Need::optional); !st) {
    return st;
  }
  if (auto st = check_string(m.breaker(), at + ".breaker", l.max_name, Need::optional); !st) {
    return st;
  }
  return check_string(m.last_failure(), at + ".last_failure", l.max_string, Need::optional);
}

Status check_status_reply(const fb::StatusReply& m, const ControlLimits& l) {
  const auto* plugins = m.plugins();
  if (auto st = check_count(plugins, "StatusReply.plugins", l.max_plugins); !st) return st;
  if (plugins == nullptr) return {};
  for (flatbuffers::uoffset_t i = 0; i < plugins->size(); ++i) {
    const std::string at = "StatusReply.plugins[" + num(i) + "]";
    const fb::PluginStatus* p = plugins->Get(i);
    if (p == nullptr) return protocol_error(at + " is null");
    if (auto st = check_plugin_status(*p, at, l); !st) return st;
  }
  return {};
}

Status check_info_reply(const fb::InfoReply& m, const ControlLimits& l) {
  if (auto st = check_string(m.name(), "InfoReply.name", l.max_name, Need::optional); !st) {
    return st;
  }
  if (auto st = check_string(m.version(), "InfoReply.version", l.max_string, Need::optional);
      !st) {
    return st;
  }
  if (auto st = check_string(m.description(), "InfoReply.description", l.max_string,
                             Need::optional);
      !st) {
    return st;
  }
  if (auto st = check_string_list(m.capabilities(), "InfoReply.capabilities", l.max_list_items,
                                  l.max_string);
      !st) {
    return st;
  }
  if (auto st = check_string_list(m.methods(), "InfoReply.methods", l.max_list_items,
                                  l.max_method);
      !st) {
    return st;
  }
  const auto* metadata = m.metadata();
  if (auto st = check_count(metadata, "InfoReply.metadata", l.max_list_items); !st) return st;
  if (metadata == nullptr) return {};
  for (flatbuffers::uoffset_t i = 0; i < metadata->size(); ++i) {
    const std::string at = "InfoReply.metadata[" + num(i) + "]";
    const fb::KeyValue* kv = metadata->Get(i);
    if (kv == nullptr) return protocol_error(at + " is null");
    if (auto st = check_string(kv->key(), at + ".key", l.max_string, Need::required); !st) {
      return st;
    }
    if (auto st = check_string(kv->value(), at + ".value", l.max_string, Need::optional); !st) {
      return st;
    }
  }
  return {};
}

Status check_reload_reply(const fb::ReloadReply& m, const ControlLimits& l) {
  if (auto st = check_string_list(m.problems(), "ReloadReply.problems", l.max_list_items,
                                  l.max_string);
      !st) {
    return st;
  }
  if (auto st = check_string_list(m.restarted(), "ReloadReply.restarted", l.max_plugins,
                                  l.max_name);
      !st) {
    return st;
  }
  if (auto st = check_string_list(m.stopped(), "ReloadReply.stopped", l.max_plugins, l.max_name);
      !st) {
    return st;
  }
  return check_string_list(m.added(), "ReloadReply.added", l.max_plugins, l.max_name);
}

// Requests are answered by id; 0 names the connection itself (a refused
// frame), so a request carrying it could not be told apart from that.
bool is_request(fb::Body type) {
  switch (type) {
    case fb::Body::Call:
    case fb::Body::Status:
    case fb::Body::Info:
    case fb::Body::Health:
    case fb::Body::Reload:
    case fb::Body::Restart:
    case fb::Body::Metrics: return true;
    default: return false;
  }
}

Status check_body(const fb::Envelope& e, const ControlLimits& l) {
  switch (e.body_type()) {
    case fb::Body::Call: return check_call(*e.body_as_Call(), l);
    case fb::Body::CallReply:
      return check_count(e.body_as_CallReply()->payload(), "CallReply.payload", l.max_frame);
    case fb::Body::Error: return check_error(*e.body_as_Error(), l);
    case fb::Body::StatusReply: return check_status_reply(*e.body_as_StatusReply(), l);
    case fb::Body::Info: return check_plugin(e.body_as_Info()->plugin(), "Info", l);
    case fb::Body::InfoReply: return check_info_reply(*e.body_as_InfoReply(), l);
    case fb::Body::Health: return check_plugin(e.body_as_Health()->plugin(), "Health", l);
    case fb::Body::HealthReply:
      return check_string(e.body_as_HealthReply()->message(), "HealthReply.message", l.max_string,
                          Need::optional);
    case fb::Body::ReloadReply: return check_reload_reply(*e.body_as_ReloadReply(), l);
    case fb::Body::Restart: return check_plugin(e.body_as_Restart()->plugin(), "Restart", l);
    case fb::Body::MetricsReply:
      return check_string(e.body_as_MetricsReply()->text(), "MetricsReply.text", l.max_frame,
                          Need::optional);
    case fb::Body::Status:
      return check_string(e.body_as_Status()->after(), "Status.after", l.max_name, Need::optional);
    case fb::Body::Reload:
    case fb::Body::RestartReply:
    case fb::Body::Metrics:
    case fb::Body::NONE: return {};  // no fields to bound; NONE is refused before
  }
  return protocol_error("Envelope.body has unknown type");
}

}  // namespace

Status check_control(const fb::Envelope& envelope, const ControlLimits& limits) {
  if (envelope.version() == 0) return protocol_error("Envelope.version missing");
  if (envelope.version() != kControlVersion) {
    return protocol_error("Envelope.version " + num(envelope.version()) +
                          " is not spoken here (this end speaks " + num(kControlVersion) + ")");
  }
  const fb::Body type = envelope.body_type();
  if (type == fb::Body::NONE) return protocol_error("Envelope.body missing");
  if (type < fb::Body::MIN || type > fb::Body::MAX) {
    return protocol_error("Envelope.body has unknown type " +
                          num(static_cast<std::uint8_t>(type)));
  }
  // The generated verifier accepts a union whose type is set but whose table
  // is absent; every body here is a table, so refuse that.
  if (envelope.body() == nullptr) {
    return protocol_error(std::string("Envelope.body of type ") + body_name(type) + " missing");
  }
  if (envelope.id() == 0 && is_request(type)) {
    return protocol_error(std::string("Envelope.id is 0 in a ") + body_name(type) +
                          " request (0 is reserved for the connection)");
  }
  return check_body(envelope, limits);
}

Result<const fb::Envelope*> decode_control(std::span<const std::uint8_t> body,
                                           const ControlLimits& limits) {
  if (auto st = wire::verify_body<fb::Envelope>(
          body, {limits.max_frame, limits.max_depth, limits.max_tables}, kControlFileIdentifier,
          "control frame");
      !st) {
    // The likeliest mix-up gets its own words.
    if (body.size() >= 2 * sizeof(flatbuffers::uoffset_t) &&
        !flatbuffers::BufferHasIdentifier(body.data(), kControlFileIdentifier) &&
        flatbuffers::BufferHasIdentifier(body.data(), wire::kFileIdentifier)) {
      return protocol_error(std::string("frame body is a plugin wire frame (") +
                            wire::kFileIdentifier + "), not a control frame (" +
                            kControlFileIdentifier + ")");
    }
    return std::move(st).error();
  }
  const fb::Envelope* envelope = fb::GetEnvelope(body.data());
  if (auto st = check_control(*envelope, limits); !st) return std::move(st).error();
  return envelope;
}

Result<Message> decode_message(std::span<const std::uint8_t> body, const ControlLimits& limits) {
  auto envelope = decode_control(body, limits);
  if (!envelope) return std::move(envelope).error();
  return read_message(**envelope);
}

}  // namespace stockade::control
