#include "control/builder.h"

#include <algorithm>
#include <string>
#include <vector>

namespace stockade::control {
namespace {

// Table headers, vtables, offsets and padding an item adds beyond its bytes,
// well above what this schema's largest item (a PluginStatus) needs.
constexpr std::size_t kOverheadPerItem = 16;
constexpr std::size_t kPluginStatusBytes = 200;  // its scalars, offsets and vtable

Error limit_error(std::string what) {
  return Error{Errc::limit, std::move(what), "ControlBuilder"};
}

std::size_t list_bytes(const std::vector<std::string>& items) {
  std::size_t n = 0;
  for (const auto& s : items) n += s.size() + kOverheadPerItem;
  return n;
}

}  // namespace

ControlBuilder::ControlBuilder(const ControlLimits& limits, std::size_t initial_capacity)
    : limits_(limits), fbb_(initial_capacity) {
  limits_.max_frame = std::min(limits_.max_frame, wire::kMaxFrameCeiling);
}

Status ControlBuilder::check_input_size(std::size_t bytes) const {
  if (bytes > limits_.max_frame) {
    return limit_error("message needs at least " + std::to_string(bytes) +
                       " bytes, more than max_frame " + std::to_string(limits_.max_frame));
  }
  return {};
}

Status ControlBuilder::check_list_size(const char* field, std::size_t items,
                                       std::size_t limit) const {
  // The decoder would refuse the list; building it first would allocate for nothing.
  if (items > limit) {
    return limit_error(std::string(field) + " has " + std::to_string(items) + " items (limit " +
                       std::to_string(limit) + ")");
  }
  return {};
}

flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> ControlBuilder::create_bytes(
    std::span<const std::uint8_t> bytes) {
  // An empty payload is left out (it reads back as empty): smaller frames, and
  // no memcpy from a possibly null pointer.
  if (bytes.empty()) return 0;
  return fbb_.CreateVector(bytes.data(), bytes.size());
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>>
ControlBuilder::create_strings(const std::vector<std::string>& items) {
  if (items.empty()) return 0;
  std::vector<flatbuffers::Offset<flatbuffers::String>> offsets;
  offsets.reserve(items.size());
  for (const auto& s : items) offsets.push_back(fbb_.CreateString(s));
  return fbb_.CreateVector(offsets);
}

Result<Frame> ControlBuilder::finish(std::uint64_t id, fb::Body type,
                                     flatbuffers::Offset<void> body) {
  fb::EnvelopeBuilder envelope(fbb_);
  envelope.add_id(id);
  envelope.add_body(body);
  envelope.add_version(kControlVersion);
  envelope.add_body_type(type);
  // The receiver keeps bodies at kBodyAlignment: make the body's size a
  // multiple of it even when no 8-byte field is present (id 0 is left out).
  fbb_.TrackMinAlign(kBodyAlignment);
  fbb_.Finish(envelope.Finish(), kControlFileIdentifier);
  const std::size_t body_size = fbb_.GetSize();
  if (body_size > limits_.max_frame) {
    return limit_error(std::string(body_name(type)) + " frame body has " +
                       std::to_string(body_size) + " bytes (limit " +
                       std::to_string(limits_.max_frame) + ")");
  }
  // Finish (not FinishSizePrefixed) aligns the body to its own first byte;
  // the length then goes in front of it in the same buffer (PROTOCOL.md 2).
  fbb_.PushElement<std::uint32_t>(static_cast<std::uint32_t>(body_size));
  const std::uint8_t* data = fbb_.GetBufferPointer();
  // Holding our own output to the peer's rules turns a bug of ours into an
  // error here rather than a frame that gets the connection dropped.
  const auto* root = flatbuffers::GetRoot<fb::Envelope>(data + kLengthPrefixSize);
  if (auto st = check_control(*root, limits_); !st) {
    Error e = std::move(st).error();
    e.code = Errc::invalid_input;
    e.where = "ControlBuilder";
    return e;
  }
  return Frame(data, fbb_.GetSize());
}

Result<Frame> ControlBuilder::encode_call(std::uint64_t id, std::string_view plugin,
                                          std::string_view method,
                                          std::span<const std::uint8_t> payload,
                                          std::optional<std::uint32_t> timeout_ms,
                                          std::optional<bool> idempotent) {
  fbb_.Clear();
  if (auto st = check_input_size(plugin.size() + method.size() + payload.size()); !st) {
    return std::move(st).error();
  }
  auto payload_offset = create_bytes(payload);
  auto plugin_offset = fbb_.CreateString(plugin);
  auto method_offset = fbb_.CreateString(method);
  fb::CallBuilder b(fbb_);
  b.add_plugin(plugin_offset);
  b.add_method(method_offset);
  if (!payload.empty()) b.add_payload(payload_offset);
  if (timeout_ms) b.add_timeout_ms(*timeout_ms);
  if (idempotent) b.add_idempotent(*idempotent);
  return finish(id, fb::Body::Call, b.Finish().Union());
}

Result<Frame> ControlBuilder::encode_call_reply(std::uint64_t id,
                                                std::span<const std::uint8_t> payload) {
  fbb_.Clear();
  if (auto st = check_input_size(payload.size()); !st) return std::move(st).error();
  auto body = fb::CreateCallReply(fbb_, create_bytes(payload));
  return finish(id, fb::Body::CallReply, body.Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const CallRequest& m) {
  return encode_call(id, m.plugin, m.method, m.payload, m.timeout_ms, m.idempotent);
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const CallReplyInfo& m) {
  return encode_call_reply(id, m.payload);
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const ErrorInfo& m) {
  fbb_.Clear();
  if (auto st = check_input_size(m.message.size()); !st) return std::move(st).error();
  auto message = fbb_.CreateString(m.message);
  fb::ErrorBuilder b(fbb_);
  b.add_code(m.code);
  b.add_message(message);
  b.add_delivery(m.delivery);
  if (m.plugin_exit) b.add_plugin_exit(*m.plugin_exit);
  b.add_retryable(m.retryable);
  b.add_hopeless(m.hopeless);
  b.add_attempts(m.attempts);
  return finish(id, fb::Body::Error, b.Finish().Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const StatusRequest& m) {
  fbb_.Clear();
  auto after = m.after.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb_.CreateString(m.after);
  return finish(id, fb::Body::Status, fb::CreateStatus(fbb_, after).Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const StatusReplyInfo& m) {
  fbb_.Clear();
  if (auto st = check_list_size("StatusReply.plugins", m.plugins.size(), limits_.max_plugins);
      !st) {
    return std::move(st).error();
  }
  std::size_t input = 0;
  for (const auto& p : m.plugins) {
    input += kPluginStatusBytes + p.name.size() + p.reason.size() + p.breaker.size() +
             p.last_failure.size();
  }
  if (auto st = check_input_size(input); !st) return std::move(st).error();
  std::vector<flatbuffers::Offset<fb::PluginStatus>> plugins;
  plugins.reserve(m.plugins.size());
  for (const auto& p : m.plugins) {
    plugins.push_back(fb::CreatePluginStatus(
        fbb_, fbb_.CreateString(p.name), p.state, fbb_.CreateString(p.reason),
        fbb_.CreateString(p.breaker), p.breaker_opened, fbb_.CreateString(p.last_failure),
        p.crashes_in_a_row, p.launches, p.restarts, p.crashes, p.protocol_violations,
        p.late_answers, p.stray_answers, p.calls_sent, p.cancels_sent, p.pid, p.retries,
        p.retries_refused_by_budget));
  }
  auto body = fb::CreateStatusReply(fbb_, fbb_.CreateVector(plugins), m.more);
  return finish(id, fb::Body::StatusReply, body.Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const InfoRequest& m) {
  fbb_.Clear();
  if (auto st = check_input_size(m.plugin.size()); !st) return std::move(st).error();
  auto body = fb::CreateInfo(fbb_, fbb_.CreateString(m.plugin));
  return finish(id, fb::Body::Info, body.Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const InfoReplyInfo& m) {
  fbb_.Clear();
  const std::size_t max_items = limits_.max_list_items;
  if (auto st = check_list_size("InfoReply.capabilities", m.capabilities.size(), max_items); !st) {
    return std::move(st).error();
  }
  if (auto st = check_list_size("InfoReply.methods", m.methods.size(), max_items); !st) {
    return std::move(st).error();
  }
  if (auto st = check_list_size("InfoReply.metadata", m.metadata.size(), max_items); !st) {
    return std::move(st).error();
  }
  std::size_t input = m.name.size() + m.version.size() + m.description.size() +
                      list_bytes(m.capabilities) + list_bytes(m.methods);
  for (const auto& [key, value] : m.metadata) {
    input += key.size() + value.size() + 2 * kOverheadPerItem;
  }
  if (auto st = check_input_size(input); !st) return std::move(st).error();
  auto name = fbb_.CreateString(m.name);
  auto version = fbb_.CreateString(m.version);
  auto description = fbb_.CreateString(m.description);
  auto capabilities = create_strings(m.capabilities);
  auto methods = create_strings(m.methods);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::KeyValue>>> metadata = 0;
  if (!m.metadata.empty()) {
    std::vector<flatbuffers::Offset<fb::KeyValue>> entries;
    entries.reserve(m.metadata.size());
    for (const auto& [key, value] : m.metadata) {
      entries.push_back(fb::CreateKeyValue(fbb_, fbb_.CreateString(key), fbb_.CreateString(value)));
    }
    metadata = fbb_.CreateVector(entries);
  }
  auto body =
      fb::CreateInfoReply(fbb_, name, version, description, capabilities, methods, metadata);
  return finish(id, fb::Body::InfoReply, body.Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const HealthRequest& m) {
  fbb_.Clear();
  if (auto st = check_input_size(m.plugin.size()); !st) return std::move(st).error();
  auto body = fb::CreateHealth(fbb_, fbb_.CreateString(m.plugin));
  return finish(id, fb::Body::Health, body.Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const HealthReplyInfo& m) {
  fbb_.Clear();
  if (auto st = check_input_size(m.message.size()); !st) return std::move(st).error();
  auto body = fb::CreateHealthReply(fbb_, m.serving, fbb_.CreateString(m.message));
  return finish(id, fb::Body::HealthReply, body.Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const ReloadRequest&) {
  fbb_.Clear();
  return finish(id, fb::Body::Reload, fb::CreateReload(fbb_).Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const ReloadReplyInfo& m) {
  fbb_.Clear();
  if (auto st = check_list_size("ReloadReply.problems", m.problems.size(), limits_.max_list_items);
      !st) {
    return std::move(st).error();
  }
  for (const auto* list : {&m.restarted, &m.stopped, &m.added}) {
    if (auto st = check_list_size("ReloadReply plugin list", list->size(), limits_.max_plugins);
        !st) {
      return std::move(st).error();
    }
  }
  if (auto st = check_input_size(list_bytes(m.problems) + list_bytes(m.restarted) +
                                 list_bytes(m.stopped) + list_bytes(m.added));
      !st) {
    return std::move(st).error();
  }
  auto problems = create_strings(m.problems);
  auto restarted = create_strings(m.restarted);
  auto stopped = create_strings(m.stopped);
  auto added = create_strings(m.added);
  auto body = fb::CreateReloadReply(fbb_, m.applied, problems, restarted, stopped, added);
  return finish(id, fb::Body::ReloadReply, body.Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const RestartRequest& m) {
  fbb_.Clear();
  if (auto st = check_input_size(m.plugin.size()); !st) return std::move(st).error();
  auto body = fb::CreateRestart(fbb_, fbb_.CreateString(m.plugin));
  return finish(id, fb::Body::Restart, body.Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const RestartReplyInfo&) {
  fbb_.Clear();
  return finish(id, fb::Body::RestartReply, fb::CreateRestartReply(fbb_).Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const MetricsRequest&) {
  fbb_.Clear();
  return finish(id, fb::Body::Metrics, fb::CreateMetrics(fbb_).Union());
}

Result<Frame> ControlBuilder::encode(std::uint64_t id, const MetricsReplyInfo& m) {
  fbb_.Clear();
  if (auto st = check_input_size(m.text.size()); !st) return std::move(st).error();
  auto body = fb::CreateMetricsReply(fbb_, fbb_.CreateString(m.text));
  return finish(id, fb::Body::MetricsReply, body.Union());
}

Result<Frame> ControlBuilder::encode(const Message& message) {
  return std::visit([&](const auto& body) { return encode(message.id, body); }, message.body);
}

}  // namespace stockade::control
