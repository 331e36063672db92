#include "control/messages.h"

namespace stockade::control {

// The variant's alternatives follow the union's members, so that index + 1 is
// the union's type value (read_message and ControlBuilder rely on it).
static_assert(std::variant_size_v<Body> == static_cast<std::size_t>(fb::Body::MAX));
static_assert(std::is_same_v<std::variant_alternative_t<0, Body>, CallRequest>);
static_assert(std::is_same_v<std::variant_alternative_t<
                                 static_cast<std::size_t>(fb::Body::MetricsReply) - 1, Body>,
                             MetricsReplyInfo>);

const char* body_name(fb::Body type) {
  // EnumNameBody indexes a table: only call it for values inside the enum.
  if (type < fb::Body::MIN || type > fb::Body::MAX) return "?";
  return fb::EnumNameBody(type);
}

const char* code_name(fb::Code code) {
  if (code < fb::Code::MIN || code > fb::Code::MAX) return "?";
  return fb::EnumNameCode(code);
}

const char* state_name(fb::PluginState state) {
  switch (state) {
    case fb::PluginState::STOPPED: return "stopped";
    case fb::PluginState::SPAWNING: return "spawning";
    case fb::PluginState::HANDSHAKING: return "handshaking";
    case fb::PluginState::READY: return "ready";
    case fb::PluginState::DRAINING: return "draining";
    case fb::PluginState::BACKOFF: return "backoff";
    case fb::PluginState::FAILED: return "failed";
  }
  return "?";
}

}  // namespace stockade::control
