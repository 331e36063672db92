// stockade-demo: a small host that embeds the supervisor library and walks
// through what stockade promises, in a few readable lines. scripts/demo runs
// it after pinning the example plugins with plugin-hash.
//
//   stockade-demo --plugins DIR --whitelist FILE
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "stockade/supervisor.h"

namespace {

using stockade::supervisor::Bytes;
using stockade::supervisor::ExecuteOptions;
using stockade::supervisor::Supervisor;
using Clock = std::chrono::steady_clock;

std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string as_text(const Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

long elapsed_ms(Clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

void heading(const char* text) { std::printf("\n== %s\n", text); }

// One call, one line: what was asked, what came back, how long it took.
void show_call(Supervisor& sup, const std::string& plugin, const std::string& method,
               std::string_view payload, ExecuteOptions options = {}) {
  auto start = Clock::now();
  auto reply = sup.execute(plugin, method, as_bytes(payload), options);
  if (reply) {
    std::printf("  %s.%s(\"%.*s\") = \"%s\"   (%ld ms)\n", plugin.c_str(), method.c_str(),
                static_cast<int>(payload.size()), payload.data(), as_text(*reply).c_str(),
                elapsed_ms(start));
  } else {
    std::printf("  %s.%s(\"%.*s\") failed: %s   (%ld ms)\n", plugin.c_str(), method.c_str(),
                static_cast<int>(payload.size()), payload.data(),
                reply.error().describe().c_str(), elapsed_ms(start));
  }
}

const stockade::supervisor::PluginStatus* find_status(
    const std::vector<stockade::supervisor::PluginStatus>& all, const std::string& name) {
  for (const auto& s : all) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

int usage() {
  std::fputs("usage: stockade-demo --plugins DIR --whitelist FILE\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string plugins;
  std::string whitelist;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--plugins") plugins = argv[i + 1];
    else if (flag == "--whitelist") whitelist = argv[i + 1];
    else return usage();
  }
  if (plugins.empty() || whitelist.empty()) return usage();

  // Only warnings and errors: the crash and the refusal show up as log lines.
  spdlog::set_level(spdlog::level::warn);
  spdlog::set_pattern("  log: [%l] %v");

  stockade::supervisor::SupervisorOptions options;
  options.plugins_dir = plugins;
  options.whitelist = whitelist;
  auto created = Supervisor::create(options);
  if (!created) {
    std::fprintf(stderr, "stockade-demo: %s\n", created.error().message().c_str());
    return 1;
  }
  Supervisor& sup = **created;

  heading("calculator: a sandboxed plugin answering over the wire");
  show_call(sup, "calculator", "calc", "6 * 7");
  show_call(sup, "calculator", "calc", "10 / 4");
  show_call(sup, "calculator", "calc", "2 - 5");

  heading("pycalc: the seeds' calculator in Python (interpreter, script and SDK pinned)");
  show_call(sup, "pycalc", "calculate", R"({"operation": "multiply", "a": 6, "b": 7})");

  heading("the plugin's own error crosses the wire intact (the caller's fault: no retry)");
  show_call(sup, "calculator", "calc", "1 / 0");

  heading("a plugin crashes mid-call: stockade restarts it and the retry succeeds");
  show_call(sup, "crash_on_request", "crash_once", "still here");
  if (const auto* s = find_status(sup.status(), "crash_on_request")) {
    std::printf("  crash_on_request: %llu crash, %llu restart, %llu retry\n",
                static_cast<unsigned long long>(s->counters.crashes),
                static_cast<unsigned long long>(s->counters.restarts),
                static_cast<unsigned long long>(s->retries));
  }

  heading("a plugin that never answers: deadlines, then the circuit opens and fails fast");
  ExecuteOptions short_deadline;
  short_deadline.timeout = std::chrono::milliseconds(150);
  for (int i = 0; i < 7; ++i) show_call(sup, "hang", "work", "x", short_deadline);
  if (const auto* s = find_status(sup.status(), "hang")) {
    std::printf("  hang: circuit %s, %llu Cancel sent\n", s->breaker.c_str(),
                static_cast<unsigned long long>(s->counters.cancels_sent));
  }

  heading("a binary that is not pinned in the whitelist is refused");
  show_call(sup, "slow", "sleep", "10");

  heading("clean shutdown: CloseRequest, grace, then SIGTERM/SIGKILL");
  sup.stop();
  int running = 0;
  for (const auto& s : sup.status()) {
    if (s.counters.pid != 0) ++running;
    std::printf("  %-17s %s%s%s\n", s.name.c_str(), stockade::supervisor::plugin_state_name(s.state),
                s.reason.empty() ? "" : ": ", s.reason.c_str());
  }
  std::printf("  plugin processes left running: %d\n", running);
  return running == 0 ? 0 : 1;
}
