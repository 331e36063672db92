#include "sample_messages.h"

#include <cstring>

#include "control/protocol.h"

namespace stockade::control::testing {

AlignedBody::AlignedBody(std::span<const std::uint8_t> bytes, bool has_prefix) {
  const std::size_t skip = has_prefix ? kLengthPrefixSize : 0;
  size_ = bytes.size() - skip;
  words_.resize(size_ / sizeof(std::uint64_t) + 1);
  if (size_ > 0) std::memcpy(words_.data(), bytes.data() + skip, size_);
}

std::vector<SampleMessage> sample_messages() {
  PluginStatusInfo ready;
  ready.name = "echo";
  ready.state = fb::PluginState::READY;
  ready.breaker = "closed";
  ready.launches = 1;
  ready.calls_sent = 42;
  ready.pid = 4242;
  PluginStatusInfo parked;
  parked.name = "crashy";
  parked.state = fb::PluginState::FAILED;
  parked.reason = "crash loop: 5 crashes in a row";
  parked.breaker = "open";
  parked.breaker_opened = 3;
  parked.last_failure = "killed by signal 11 (SIGSEGV)";
  parked.crashes_in_a_row = 5;
  parked.launches = 6;
  parked.restarts = 5;
  parked.crashes = 6;
  parked.protocol_violations = 1;
  parked.late_answers = 2;
  parked.stray_answers = 3;
  parked.cancels_sent = 4;
  parked.retries = 7;
  parked.retries_refused_by_budget = 8;

  const Bytes payload16 = {'h', 'e', 'l', 'l', 'o', ',', ' ', 'c',
                           'o', 'n', 't', 'r', 'o', 'l', 0,   0xff};
  return {
      {"call_16b", {1, CallRequest{"echo", "echo", payload16, 500, true}}},
      {"call_defaults", {2, CallRequest{"echo", "execute", {}, {}, {}}}},
      {"call_reply", {1, CallReplyInfo{payload16}}},
      {"call_reply_empty", {2, CallReplyInfo{}}},
      {"error", {3, ErrorInfo{fb::Code::UNAVAILABLE, "circuit open", fb::Delivery::NOT_SENT, {},
                              false, true, 1}}},
      {"error_plugin_exit", {4, ErrorInfo{fb::Code::UNAVAILABLE, "plugin crashed",
                                          fb::Delivery::UNKNOWN, 139, true, false, 3}}},
      {"error_connection", {0, ErrorInfo{fb::Code::PERMISSION_DENIED, "not in the access list",
                                         fb::Delivery::NOT_SENT, {}, false, true, 0}}},
      {"status", {5, StatusRequest{}}},
      {"status_reply", {5, StatusReplyInfo{{ready, parked}}}},
      {"status_reply_empty", {6, StatusReplyInfo{}}},
      {"status_page", {5, StatusRequest{"echo"}}},
      {"status_reply_more", {5, StatusReplyInfo{{ready}, true}}},
      {"info", {7, InfoRequest{"calculator"}}},
      {"info_reply", {7, InfoReplyInfo{"calculator", "1.2.0", "adds numbers", {"math"},
                                       {"add", "mul"}, {{"owner", "ops"}, {"tier", ""}}}}},
      {"health", {8, HealthRequest{"echo"}}},
      {"health_reply", {8, HealthReplyInfo{true, "ok"}}},
      {"health_reply_not_serving", {9, HealthReplyInfo{false, "warming up"}}},
      {"reload", {10, ReloadRequest{}}},
      {"reload_reply_applied", {10, ReloadReplyInfo{true, {}, {"echo"}, {"old"}, {"new"}}}},
      {"reload_reply_refused",
       {11, ReloadReplyInfo{false,
                            {"stockade.json: clients[0].plugins: must be an array of at most 256 "
                             "strings (got 3)"},
                            {}, {}, {}}}},
      {"restart", {12, RestartRequest{"crashy"}}},
      {"restart_reply", {12, RestartReplyInfo{}}},
      {"metrics", {13, MetricsRequest{}}},
      {"metrics_reply",
       {13, MetricsReplyInfo{
                "# TYPE stockade_calls_total counter\n"
                "stockade_calls_total{plugin=\"echo\",method=\"echo\",code=\"OK\"} 42\n"}}},
  };
}

}  // namespace stockade::control::testing
