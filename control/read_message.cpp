// read_message: a verified Envelope copied into plain structs. Every field is
// read, which the fuzz target relies on to touch them all under ASan.
#include <string>
#include <utility>

#include "control/decoder.h"

namespace stockade::control {
namespace {

std::string text(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : std::string(s->c_str(), s->size());
}

Bytes bytes(const flatbuffers::Vector<std::uint8_t>* v) {
  return v == nullptr ? Bytes() : Bytes(v->begin(), v->end());
}

std::vector<std::string> strings(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  out.reserve(v->size());
  for (const flatbuffers::String* s : *v) out.push_back(text(s));
  return out;
}

template <typename T>
std::optional<T> optional(flatbuffers::Optional<T> v) {
  return v.has_value() ? std::optional<T>(*v) : std::nullopt;
}

PluginStatusInfo plugin_status(const fb::PluginStatus& m) {
  PluginStatusInfo p;
  p.name = text(m.name());
  p.state = m.state();
  p.reason = text(m.reason());
  p.breaker = text(m.breaker());
  p.breaker_opened = m.breaker_opened();
  p.last_failure = text(m.last_failure());
  p.crashes_in_a_row = m.crashes_in_a_row();
  p.launches = m.launches();
  p.restarts = m.restarts();
  p.crashes = m.crashes();
  p.protocol_violations = m.protocol_violations();
  p.late_answers = m.late_answers();
  p.stray_answers = m.stray_answers();
  p.calls_sent = m.calls_sent();
  p.cancels_sent = m.cancels_sent();
  p.pid = m.pid();
  p.retries = m.retries();
  p.retries_refused_by_budget = m.retries_refused_by_budget();
  return p;
}

Body read_body(const fb::Envelope& e) {
  switch (e.body_type()) {
    case fb::Body::Call: {
      const auto& m = *e.body_as_Call();
      return CallRequest{text(m.plugin()), text(m.method()), bytes(m.payload()),
                         optional(m.timeout_ms()), optional(m.idempotent())};
    }
    case fb::Body::CallReply: return CallReplyInfo{bytes(e.body_as_CallReply()->payload())};
    case fb::Body::Error: {
      const auto& m = *e.body_as_Error();
      return ErrorInfo{m.code(),      text(m.message()), m.delivery(), optional(m.plugin_exit()),
                       m.retryable(), m.hopeless(),      m.attempts()};
    }
    case fb::Body::Status: return StatusRequest{text(e.body_as_Status()->after())};
    case fb::Body::StatusReply: {
      StatusReplyInfo reply;
      if (const auto* plugins = e.body_as_StatusReply()->plugins(); plugins != nullptr) {
        reply.plugins.reserve(plugins->size());
        for (const fb::PluginStatus* p : *plugins) reply.plugins.push_back(plugin_status(*p));
      }
      reply.more = e.body_as_StatusReply()->more();
      return reply;
    }
    case fb::Body::Info: return InfoRequest{text(e.body_as_Info()->plugin())};
    case fb::Body::InfoReply: {
      const auto& m = *e.body_as_InfoReply();
      InfoReplyInfo info{text(m.name()),           text(m.version()),  text(m.description()),
                         strings(m.capabilities()), strings(m.methods()), {}};
      if (m.metadata() != nullptr) {
        for (const fb::KeyValue* kv : *m.metadata()) {
          info.metadata.emplace_back(text(kv->key()), text(kv->value()));
        }
      }
      return info;
    }
    case fb::Body::Health: return HealthRequest{text(e.body_as_Health()->plugin())};
    case fb::Body::HealthReply: {
      const auto& m = *e.body_as_HealthReply();
      return HealthReplyInfo{m.serving(), text(m.message())};
    }
    case fb::Body::Reload: return ReloadRequest{};
    case fb::Body::ReloadReply: {
      const auto& m = *e.body_as_ReloadReply();
      return ReloadReplyInfo{m.applied(), strings(m.problems()), strings(m.restarted()),
                             strings(m.stopped()), strings(m.added())};
    }
    case fb::Body::Restart: return RestartRequest{text(e.body_as_Restart()->plugin())};
    case fb::Body::RestartReply: return RestartReplyInfo{};
    case fb::Body::Metrics: return MetricsRequest{};
    case fb::Body::MetricsReply: return MetricsReplyInfo{text(e.body_as_MetricsReply()->text())};
    case fb::Body::NONE: break;  // refused by check_control
  }
  // Unreachable for a checked Envelope; an empty Error rather than a crash.
  return ErrorInfo{};
}

}  // namespace

Message read_message(const fb::Envelope& envelope) {
  return Message{envelope.id(), read_body(envelope)};
}

}  // namespace stockade::control
