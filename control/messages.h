// The generated FlatBuffers types of control protocol v1 (namespace
// stockade::control::fb) and the plain structs that ControlBuilder encodes and
// read_message() decodes into. The structs mirror <stockade/supervisor.h>'s
// results field for field without depending on it: control/ sits on wire/ and
// base/ only, so a client links neither the supervisor nor the sandbox.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "control/control_generated.h"  // generated at build time from control/control.fbs

namespace stockade::control {

using Bytes = std::vector<std::uint8_t>;

// "Call", "StatusReply", ... ("NONE" or "?" for values outside the union).
const char* body_name(fb::Body type);
// "UNAVAILABLE", "PERMISSION_DENIED", ... ("?" outside the enum).
const char* code_name(fb::Code code);
// "ready", "failed", ... as stockade::supervisor::plugin_state_name spells them.
const char* state_name(fb::PluginState state);

struct ErrorInfo {
  fb::Code code = fb::Code::UNKNOWN;
  std::string message{};
  fb::Delivery delivery = fb::Delivery::NOT_SENT;
  std::optional<std::int32_t> plugin_exit{};
  bool retryable = false;
  bool hopeless = false;
  std::uint32_t attempts = 0;
  bool operator==(const ErrorInfo&) const = default;
};

struct CallRequest {
  std::string plugin{};
  std::string method{};
  Bytes payload{};
  std::optional<std::uint32_t> timeout_ms{};
  std::optional<bool> idempotent{};
  bool operator==(const CallRequest&) const = default;
};

struct CallReplyInfo {
  Bytes payload{};
  bool operator==(const CallReplyInfo&) const = default;
};

struct StatusRequest {
  std::string after{};  // the page starts after this name; empty: the first page
  bool operator==(const StatusRequest&) const = default;
};

// stockade::supervisor::PluginStatus (counters included).
struct PluginStatusInfo {
  std::string name{};
  fb::PluginState state = fb::PluginState::STOPPED;
  std::string reason{};
  std::string breaker{};
  std::uint64_t breaker_opened = 0;
  std::string last_failure{};
  std::uint32_t crashes_in_a_row = 0;
  std::uint64_t launches = 0;
  std::uint64_t restarts = 0;
  std::uint64_t crashes = 0;
  std::uint64_t protocol_violations = 0;
  std::uint64_t late_answers = 0;
  std::uint64_t stray_answers = 0;
  std::uint64_t calls_sent = 0;
  std::uint64_t cancels_sent = 0;
  std::int32_t pid = 0;
  std::uint64_t retries = 0;
  std::uint64_t retries_refused_by_budget = 0;
  bool operator==(const PluginStatusInfo&) const = default;
};

struct StatusReplyInfo {
  std::vector<PluginStatusInfo> plugins{};
  bool more = false;  // another page follows (ask with after = the last name here)
  bool operator==(const StatusReplyInfo&) const = default;
};

struct InfoRequest {
  std::string plugin{};
  bool operator==(const InfoRequest&) const = default;
};

// stockade::supervisor::PluginInfo.
struct InfoReplyInfo {
  std::string name{};
  std::string version{};
  std::string description{};
  std::vector<std::string> capabilities{};
  std::vector<std::string> methods{};
  std::vector<std::pair<std::string, std::string>> metadata{};
  bool operator==(const InfoReplyInfo&) const = default;
};

struct HealthRequest {
  std::string plugin{};
  bool operator==(const HealthRequest&) const = default;
};

// stockade::supervisor::HealthReport.
struct HealthReplyInfo {
  bool serving = false;
  std::string message{};
  bool operator==(const HealthReplyInfo&) const = default;
};

struct ReloadRequest {
  bool operator==(const ReloadRequest&) const = default;
};

struct ReloadReplyInfo {
  bool applied = false;
  std::vector<std::string> problems{};
  std::vector<std::string> restarted{};
  std::vector<std::string> stopped{};
  std::vector<std::string> added{};
  bool operator==(const ReloadReplyInfo&) const = default;
};

struct RestartRequest {
  std::string plugin{};
  bool operator==(const RestartRequest&) const = default;
};

struct RestartReplyInfo {
  bool operator==(const RestartReplyInfo&) const = default;
};

struct MetricsRequest {
  bool operator==(const MetricsRequest&) const = default;
};

struct MetricsReplyInfo {
  std::string text{};
  bool operator==(const MetricsReplyInfo&) const = default;
};

// Every body, in the order of the schema's union.
using Body = std::variant<CallRequest, CallReplyInfo, ErrorInfo, StatusRequest, StatusReplyInfo,
                          InfoRequest, InfoReplyInfo, HealthRequest, HealthReplyInfo,
                          ReloadRequest, ReloadReplyInfo, RestartRequest, RestartReplyInfo,
                          MetricsRequest, MetricsReplyInfo>;

// One decoded frame as plain data (copies every field; the daemon's hot path
// can read the fb::Envelope from decode_control instead).
struct Message {
  std::uint64_t id = 0;
  Body body{};
  bool operator==(const Message&) const = default;
};

}  // namespace stockade::control
