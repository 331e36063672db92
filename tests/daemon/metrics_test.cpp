// daemon::Metrics: the page is well-formed Prometheus text 0.0.4 whatever the
// names, the counts follow the observer's events, and hostile names neither
// break the page nor grow it without bound.
#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "daemon/prometheus_text.h"
#include "tests/daemon/metrics_text_parser.h"

namespace stockade::daemon {
namespace {

using namespace std::chrono_literals;
using supervisor::CallEnded;
using supervisor::CallStarted;
using supervisor::ExitKind;
using supervisor::PluginEvent;
using supervisor::PluginState;
using supervisor::PluginStatus;
using supervisor::StatusCode;
using testing::MetricPage;
using testing::parse_metric_page;

// One call through the observer, as the Supervisor makes it.
void call(supervisor::SupervisorObserver& o, std::string_view plugin, std::string_view method,
          std::optional<StatusCode> error, std::chrono::nanoseconds latency) {
  o.call_started(CallStarted{.plugin = plugin, .method = method});
  o.call_ended(CallEnded{.plugin = plugin, .method = method, .error = error, .latency = latency});
}

MetricPage page_of(const Metrics& m, const std::vector<PluginStatus>& status = {}) {
  MetricPage page = parse_metric_page(m.render(status));
  for (const auto& e : page.errors) ADD_FAILURE() << e;
  return page;
}

TEST(MetricsText, LabelValuesEscapeBackslashQuoteAndNewlineOnly) {
  EXPECT_EQ(label_value("plain"), "plain");
  EXPECT_EQ(label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(label_value("tab\tok"), "tab\tok");
  EXPECT_EQ(label_value("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(MetricsText, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(label_value("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(label_value("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");   // overlong '/'
  EXPECT_EQ(label_value("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(label_value("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");   // cut short
}

TEST(MetricsText, AnEmptyRegistryIsAWellFormedPageWithEveryFamily) {
  Metrics m;
  MetricPage page = page_of(m);
  for (const char* family :
       {"stockade_calls_total", "stockade_call_duration_seconds", "stockade_calls_in_flight",
        "stockade_plugin_launches_total", "stockade_plugin_restarts_total",
        "stockade_plugin_ends_total", "stockade_seccomp_violations_total",
        "stockade_limit_kills_total", "stockade_breaker_state", "stockade_plugin_state",
        "stockade_breaker_opened_total"}) {
    EXPECT_TRUE(page.types.count(family)) << family;
    EXPECT_TRUE(page.help.count(family)) << family;
  }
  EXPECT_EQ(page.types["stockade_call_duration_seconds"], "histogram");
  EXPECT_EQ(page.types["stockade_calls_total"], "counter");
  EXPECT_EQ(page.types["stockade_calls_in_flight"], "gauge");
  EXPECT_TRUE(page.samples.empty());
}

TEST(Metrics, CallsAreCountedByPluginMethodAndCode) {
  Metrics m;
  auto o = m.observer();
  call(o, "echo", "echo", std::nullopt, 150us);
  call(o, "echo", "echo", std::nullopt, 2ms);
  call(o, "echo", "echo", StatusCode::unavailable, 70s);
  call(o, "calc", "add", StatusCode::invalid_argument, 50us);
  MetricPage page = page_of(m);
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "echo"}, {"method", "echo"}, {"code", "OK"}}), 2);
  EXPECT_EQ(page.value("stockade_calls_total",
                       {{"plugin", "echo"}, {"method", "echo"}, {"code", "UNAVAILABLE"}}), 1);
  EXPECT_EQ(page.value("stockade_calls_total",
                       {{"plugin", "calc"}, {"method", "add"}, {"code", "INVALID_ARGUMENT"}}), 1);
  // A code is shown once it has happened, not before.
  EXPECT_TRUE(page.find("stockade_calls_total", {{"plugin", "calc"}, {"code", "OK"}}).empty());
  EXPECT_EQ(page.value("stockade_calls_in_flight", {{"plugin", "echo"}}), 0);
}

TEST(Metrics, LatencyLandsInCumulativeBucketsFrom100MicrosecondsTo60Seconds) {
  Metrics m;
  auto o = m.observer();
  call(o, "echo", "m", std::nullopt, 100us);   // on the bound: le="0.0001"
  call(o, "echo", "m", std::nullopt, 150us);   // le="0.00025"
  call(o, "echo", "m", std::nullopt, 3s);      // le="5"
  call(o, "echo", "m", std::nullopt, 61s);     // +Inf only
  MetricPage page = page_of(m);
  auto bucket = [&](const char* le) {
    return page.value("stockade_call_duration_seconds_bucket", {{"plugin", "echo"}, {"le", le}});
  };
  EXPECT_EQ(bucket("0.0001"), 1);
  EXPECT_EQ(bucket("0.00025"), 2);
  EXPECT_EQ(bucket("2.5"), 2);
  EXPECT_EQ(bucket("5"), 3);
  EXPECT_EQ(bucket("60"), 3);
  EXPECT_EQ(bucket("+Inf"), 4);
  EXPECT_EQ(page.value("stockade_call_duration_seconds_count", {{"plugin", "echo"}}), 4);
  EXPECT_DOUBLE_EQ(page.value("stockade_call_duration_seconds_sum", {{"plugin", "echo"}}),
                   0.0001 + 0.00015 + 3 + 61);
  // Every bucket of the histogram, in order, each at least the one before.
  auto buckets = page.find("stockade_call_duration_seconds_bucket", {{"plugin", "echo"}});
  ASSERT_EQ(buckets.size(), 19u);
  for (size_t i = 1; i < buckets.size(); ++i) EXPECT_GE(buckets[i].value, buckets[i - 1].value);
}

TEST(Metrics, CallsInFlightRiseAtStartAndFallAtEnd) {
  Metrics m;
  auto o = m.observer();
  o.call_started(CallStarted{.plugin = "echo", .method = "slow"});
  o.call_started(CallStarted{.plugin = "echo", .method = "slow"});
  EXPECT_EQ(page_of(m).value("stockade_calls_in_flight", {{"plugin", "echo"}}), 2);
  o.call_ended(CallEnded{.plugin = "echo", .method = "slow", .error = StatusCode::deadline_exceeded});
  EXPECT_EQ(page_of(m).value("stockade_calls_in_flight", {{"plugin", "echo"}}), 1);
}

TEST(Metrics, PluginEventsCountLaunchesRestartsEndsSeccompAndLimitKills) {
  Metrics m;
  auto o = m.observer();
  o.plugin_event(PluginEvent{.plugin = "calc", .type = PluginEvent::Type::launched});
  o.plugin_event(PluginEvent{.plugin = "calc", .type = PluginEvent::Type::ended,
                             .exit = ExitKind::seccomp_violation, .syscall = "ptrace"});
  o.plugin_event(PluginEvent{.plugin = "calc", .type = PluginEvent::Type::restarted});
  o.plugin_event(PluginEvent{.plugin = "calc", .type = PluginEvent::Type::ended,
                             .exit = ExitKind::memory_limit});
  o.plugin_event(PluginEvent{.plugin = "calc", .type = PluginEvent::Type::restarted});
  o.plugin_event(PluginEvent{.plugin = "calc", .type = PluginEvent::Type::ended,
                             .exit = ExitKind::seccomp_violation, .syscall = "ptrace"});
  o.plugin_event(PluginEvent{.plugin = "calc", .type = PluginEvent::Type::ended,
                             .exit = ExitKind::crashed});
  MetricPage page = page_of(m);
  EXPECT_EQ(page.value("stockade_plugin_launches_total", {{"plugin", "calc"}}), 1);
  EXPECT_EQ(page.value("stockade_plugin_restarts_total", {{"plugin", "calc"}}), 2);
  EXPECT_EQ(page.value("stockade_plugin_ends_total", {{"plugin", "calc"}, {"kind", "seccomp_violation"}}), 2);
  EXPECT_EQ(page.value("stockade_plugin_ends_total", {{"plugin", "calc"}, {"kind", "memory_limit"}}), 1);
  EXPECT_EQ(page.value("stockade_plugin_ends_total", {{"plugin", "calc"}, {"kind", "crashed"}}), 1);
  EXPECT_EQ(page.value("stockade_seccomp_violations_total", {{"plugin", "calc"}, {"syscall", "ptrace"}}), 2);
  EXPECT_EQ(page.value("stockade_limit_kills_total", {{"plugin", "calc"}, {"kind", "memory"}}), 1);
  EXPECT_TRUE(page.find("stockade_limit_kills_total", {{"kind", "cpu"}}).empty());
}

TEST(Metrics, PluginAndBreakerStatesComeFromStatusAtScrapeTime) {
  Metrics m;
  PluginStatus echo;
  echo.name = "echo";
  echo.state = PluginState::ready;
  echo.breaker = "open";
  echo.breaker_opened = 3;
  PluginStatus calc;
  calc.name = "calc";
  calc.state = PluginState::failed;
  calc.breaker = "closed";
  MetricPage page = page_of(m, {echo, calc});
  EXPECT_EQ(page.value("stockade_plugin_state", {{"plugin", "echo"}, {"state", "ready"}}), 1);
  EXPECT_EQ(page.value("stockade_plugin_state", {{"plugin", "echo"}, {"state", "failed"}}), 0);
  EXPECT_EQ(page.value("stockade_plugin_state", {{"plugin", "calc"}, {"state", "failed"}}), 1);
  EXPECT_EQ(page.find("stockade_plugin_state", {{"plugin", "echo"}}).size(), 7u);
  EXPECT_EQ(page.value("stockade_breaker_state", {{"plugin", "echo"}, {"state", "open"}}), 1);
  EXPECT_EQ(page.value("stockade_breaker_state", {{"plugin", "echo"}, {"state", "closed"}}), 0);
  EXPECT_EQ(page.value("stockade_breaker_state", {{"plugin", "calc"}, {"state", "closed"}}), 1);
  EXPECT_EQ(page.value("stockade_breaker_state", {{"plugin", "calc"}, {"state", "half-open"}}), 0);
  EXPECT_EQ(page.value("stockade_breaker_opened_total", {{"plugin", "echo"}}), 3);
}

TEST(Metrics, HostileNamesAreEscapedAndReadBackUnchanged) {
  Metrics m;
  auto o = m.observer();
  const std::string injection = "x\"} 1\nstockade_fake_total 1\n#";
  const std::string backslashes = "a\\\\\"b\\";
  call(o, "echo", injection, std::nullopt, 1ms);
  call(o, backslashes, "m\nn", StatusCode::internal, 1ms);
  const std::string page_text = m.render({});
  MetricPage page = page_of(m);
  EXPECT_TRUE(page.find("stockade_fake_total").empty()) << page_text;
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "echo"}, {"method", injection}}), 1);
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", backslashes}, {"method", "m\nn"}}), 1);
}

TEST(Metrics, InvalidUtf8NamesStillGiveAValidPage) {
  Metrics m;
  auto o = m.observer();
  call(o, "echo", "\xFF\xFE", std::nullopt, 1ms);
  MetricPage page = page_of(m);
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "echo"}, {"method", "\xEF\xBF\xBD\xEF\xBF\xBD"}}), 1);
}

TEST(Metrics, MethodsBeyondTheCapAreCountedAsOther) {
  Metrics m(MetricsLimits{.max_methods_per_plugin = 4});
  auto o = m.observer();
  for (int i = 0; i < 10; ++i) call(o, "echo", "method" + std::to_string(i), std::nullopt, 1ms);
  call(o, "echo", "method0", std::nullopt, 1ms);  // already known: still its own
  call(o, "echo", std::string(200, 'x'), std::nullopt, 1ms);  // too long for a label
  MetricPage page = page_of(m);
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "echo"}, {"method", "method0"}}), 2);
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "echo"}, {"method", "method3"}}), 1);
  EXPECT_TRUE(page.find("stockade_calls_total", {{"method", "method4"}}).empty());
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "echo"}, {"method", "other"}}), 7);
  EXPECT_EQ(page.find("stockade_calls_total", {{"plugin", "echo"}}).size(), 5u);
}

TEST(Metrics, PluginsBeyondTheCapAreCountedAsOther) {
  Metrics m(MetricsLimits{.max_plugins = 2});
  auto o = m.observer();
  for (int i = 0; i < 50; ++i) call(o, "ghost" + std::to_string(i), "m", StatusCode::not_found, 1ms);
  MetricPage page = page_of(m);
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "ghost0"}}), 1);
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "ghost1"}}), 1);
  EXPECT_EQ(page.value("stockade_calls_total", {{"plugin", "other"}, {"code", "NOT_FOUND"}}), 48);
  EXPECT_EQ(page.value("stockade_call_duration_seconds_count", {{"plugin", "other"}}), 48);
  EXPECT_EQ(page.find("stockade_calls_in_flight").size(), 3u);
}

TEST(Metrics, SyscallsBeyondTheCapAreCountedAsOther) {
  Metrics m(MetricsLimits{.max_syscalls_per_plugin = 1});
  auto o = m.observer();
  for (const char* name : {"ptrace", "mount", "bpf"}) {
    o.plugin_event(PluginEvent{.plugin = "p", .type = PluginEvent::Type::ended,
                               .exit = ExitKind::seccomp_violation, .syscall = name});
  }
  MetricPage page = page_of(m);
  EXPECT_EQ(page.value("stockade_seccomp_violations_total", {{"syscall", "ptrace"}}), 1);
  EXPECT_EQ(page.value("stockade_seccomp_violations_total", {{"syscall", "other"}}), 2);
}

TEST(Metrics, CountsFromSeveralThreadsWhileScrapingAreExact) {
  Metrics m(MetricsLimits{.max_methods_per_plugin = 8});
  auto o = m.observer();
  constexpr int kThreads = 4;
  constexpr int kCalls = 5000;
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) {
      MetricPage page = parse_metric_page(m.render({}));
      if (!page.errors.empty()) ADD_FAILURE() << page.errors.front();
    }
  });
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        call(o, "p" + std::to_string(t % 2), "m" + std::to_string(i % 16), std::nullopt, 1ms);
      }
    });
  }
  for (auto& c : callers) c.join();
  done = true;
  scraper.join();
  MetricPage page = page_of(m);
  double total = 0;
  for (const auto& s : page.find("stockade_calls_total")) total += s.value;
  EXPECT_EQ(total, kThreads * kCalls);
  EXPECT_EQ(page.value("stockade_call_duration_seconds_count", {{"plugin", "p0"}}), 2 * kCalls);
  EXPECT_EQ(page.value("stockade_calls_in_flight", {{"plugin", "p1"}}), 0);
}

}  // namespace
}  // namespace stockade::daemon
