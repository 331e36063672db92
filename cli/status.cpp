// `stockade status --socket PATH [--json]`: the state and counters of every
// plugin the daemon lets this client see.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "cli/options.h"

namespace stockade::supervisor {
namespace {

using nlohmann::json;

constexpr const char* kStatusEpilog =
    "One line a plugin: its state, breaker, pid and counters, then its reason and\n"
    "last failure when it has them. --json prints one object, {\"plugins\": [...]},\n"
    "with every field of the control protocol's PluginStatus (docs/control-protocol.md).\n"
    "An admin client sees every plugin, another the plugins its \"clients\" entry\n"
    "lists.\n";

json to_json(const control::PluginStatusInfo& p) {
  return json{{"name", p.name},
              {"state", control::state_name(p.state)},
              {"reason", p.reason},
              {"breaker", p.breaker},
              {"breaker_opened", p.breaker_opened},
              {"last_failure", p.last_failure},
              {"crashes_in_a_row", p.crashes_in_a_row},
              {"launches", p.launches},
              {"restarts", p.restarts},
              {"crashes", p.crashes},
              {"protocol_violations", p.protocol_violations},
              {"late_answers", p.late_answers},
              {"stray_answers", p.stray_answers},
              {"calls_sent", p.calls_sent},
              {"cancels_sent", p.cancels_sent},
              {"pid", p.pid},
              {"retries", p.retries},
              {"retries_refused_by_budget", p.retries_refused_by_budget}};
}

std::string to_text(const control::PluginStatusInfo& p) {
  std::string out = p.name + ": " + control::state_name(p.state) + " (breaker " +
                    (p.breaker.empty() ? "closed" : p.breaker) +
                    (p.pid != 0 ? ", pid " + std::to_string(p.pid) : "") + ", launches " +
                    std::to_string(p.launches) + ", restarts " + std::to_string(p.restarts) +
                    ", crashes " + std::to_string(p.crashes) + ", calls " +
                    std::to_string(p.calls_sent) + ")\n";
  if (!p.reason.empty()) out += "  reason: " + p.reason + "\n";
  if (!p.last_failure.empty()) out += "  last failure: " + p.last_failure + "\n";
  return out;
}

}  // namespace

int run_status(std::span<const std::string> args) {
  bool help = false, as_json = false;
  std::optional<std::string> socket;
  OptionParser p("stockade status [--socket PATH] [--json]",
                 "Asks a running stockade serve for the status of its plugins.");
  p.text("--socket", "PATH", "the control socket (default: $STOCKADE_SOCKET, then " +
                                 std::string(control::kDefaultSocketPath) + ")",
         socket);
  p.flag("--json", "print JSON instead of text", as_json);
  p.flag("--help", "show this help", help);
  p.epilog(std::string(kStatusEpilog) + "\nexit codes (stockade help exit-codes has them all):\n" +
           exit_code_table(kForDaemonClient));
  auto operands = p.parse(args);
  if (!operands) {
    print_error(operands.error().message() + " (see stockade status --help)");
    return kExitOwnFailure;
  }
  if (help) {
    std::fputs(p.help().c_str(), stdout);
    return kExitOk;
  }
  if (!operands->empty()) {
    print_error("unexpected argument \"" + operands->front() + "\" (see stockade status --help)");
    return kExitOwnFailure;
  }
  auto client = connect_daemon(socket);
  if (!client) {
    print_error(client.error().message());
    return exit_code_for_transport(client.error());
  }
  auto answer = client->status();
  if (!answer) {
    print_error("status failed: " + answer.error().message());
    return exit_code_for_transport(answer.error());
  }
  if (const auto* e = std::get_if<control::ErrorInfo>(&*answer)) {
    print_error("status failed: " + describe(*e));
    return exit_code_for_admin_error(*e);
  }
  const auto& reply = std::get<control::StatusReplyInfo>(*answer);
  if (as_json) {
    json plugins = json::array();
    for (const auto& plugin : reply.plugins) plugins.push_back(to_json(plugin));
    // ensure_ascii: every byte a terminal could obey comes out as \uXXXX.
    const std::string text =
        json{{"plugins", plugins}}.dump(2, ' ', true, json::error_handler_t::replace) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  std::string text;
  for (const auto& plugin : reply.plugins) text += to_text(plugin);
  if (reply.plugins.empty()) text = "no plugins\n";
  print_text(text);
  return kExitOk;
}

}  // namespace stockade::supervisor
