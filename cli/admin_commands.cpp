// The admin commands of a running `stockade serve`: reload (the config,
// whitelist and plugin folders read anew), restart PLUGIN and metrics (the
// Prometheus text). The daemon answers them only for "admin" clients.
#include <cstdio>

#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "cli/options.h"

namespace stockade::supervisor {
namespace {

struct AdminOptions {
  bool help = false;
  std::optional<std::string> socket;
};

// The parser of a command whose only options are --socket and --help;
// `operands` is the number of operands it takes (their names in `usage`).
struct Parsed {
  std::optional<int> exit;  // set: the command ends with this code
  AdminOptions options;
  std::vector<std::string> operands;
};

Parsed parse(std::span<const std::string> args, const std::string& command,
             const std::string& usage, const std::string& summary, const std::string& notes,
             std::size_t operands) {
  Parsed out;
  OptionParser p(usage, summary);
  p.text("--socket", "PATH", "the control socket (default: $STOCKADE_SOCKET, then " +
                                 std::string(control::kDefaultSocketPath) + ")",
         out.options.socket);
  p.flag("--help", "show this help", out.options.help);
  p.epilog(notes + "\nexit codes (stockade help exit-codes has them all):\n" +
           exit_code_table(kForDaemonClient));
  auto parsed = p.parse(args);
  // Options may follow the operands too ("restart echo --socket S").
  if (parsed && !parsed->empty()) {
    std::vector<std::string> first(parsed->begin(), parsed->begin() + 1);
    std::vector<std::string> after(parsed->begin() + 1, parsed->end());
    auto more = p.parse(after);
    if (!more) {
      parsed = std::move(more).error();
    } else {
      first.insert(first.end(), more->begin(), more->end());
      parsed = std::move(first);
    }
  }
  const std::string see = " (see stockade " + command + " --help)";
  if (!parsed) {
    print_error(parsed.error().message() + see);
    out.exit = kExitOwnFailure;
  } else if (out.options.help) {
    std::fputs(p.help().c_str(), stdout);
    out.exit = kExitOk;
  } else if (parsed->size() < operands) {
    print_error("missing PLUGIN" + see);
    out.exit = kExitOwnFailure;
  } else if (parsed->size() > operands) {
    print_error("unexpected argument \"" + (*parsed)[operands] + "\"" + see);
    out.exit = kExitOwnFailure;
  } else {
    out.operands = std::move(*parsed);
  }
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// A request's answer, or the exit code of its failure (printed).
template <typename T>
std::optional<T> answer_or_exit(const char* command, Result<control::Answer<T>> answer, int& exit) {
  if (!answer) {
    print_error(std::string(command) + " failed: " + answer.error().message());
    exit = exit_code_for_transport(answer.error());
    return std::nullopt;
  }
  if (const auto* e = std::get_if<control::ErrorInfo>(&*answer)) {
    print_error(std::string(command) + " failed: " + describe(*e));
    exit = exit_code_for_admin_error(*e);
    return std::nullopt;
  }
  return std::get<T>(std::move(*answer));
}

std::optional<control::ControlClient> connect_or_exit(const AdminOptions& o, int& exit) {
  auto client = connect_daemon(o.socket);
  if (!client) {
    print_error(client.error().message());
    exit = exit_code_for_transport(client.error());
    return std::nullopt;
  }
  return std::move(*client);
}

}  // namespace

int run_reload(std::span<const std::string> args) {
  Parsed parsed = parse(args, "reload", "stockade reload [--socket PATH]",
                        "Tells a running stockade serve to read its config, whitelist and plugin "
                        "folders anew.",
                        "A new config with any problem is refused whole: the problems are printed,\n"
                        "one a line, the exit code is 1 and the running config serves on. Plugins\n"
                        "whose manifest or pinned digest changed are drained and restarted, removed\n"
                        "ones stopped, the rest untouched. An admin client's request.\n",
                        0);
  if (parsed.exit) return *parsed.exit;
  int exit = kExitOk;
  auto client = connect_or_exit(parsed.options, exit);
  if (!client) return exit;
  auto reply = answer_or_exit("reload", client->reload(), exit);
  if (!reply) return exit;
  if (!reply->applied) {
    print_error("reload refused, the running config serves on:");
    for (const auto& problem : reply->problems) print_error("  " + problem);
    return kExitNo;
  }
  print_text("reloaded: restarted " + joined(reply->restarted) + "; stopped " +
             joined(reply->stopped) + "; added " + joined(reply->added) + "\n");
  return kExitOk;
}

int run_restart(std::span<const std::string> args) {
  Parsed parsed = parse(args, "restart", "stockade restart [--socket PATH] PLUGIN",
                        "Tells a running stockade serve to restart PLUGIN.",
                        "Calls in flight are drained first. An admin client's request.\n", 1);
  if (parsed.exit) return *parsed.exit;
  int exit = kExitOk;
  auto client = connect_or_exit(parsed.options, exit);
  if (!client) return exit;
  const std::string& plugin = parsed.operands.front();
  if (!answer_or_exit("restart", client->restart(plugin), exit)) return exit;
  print_text("restarted " + plugin + "\n");
  return kExitOk;
}

int run_metrics(std::span<const std::string> args) {
  Parsed parsed = parse(args, "metrics", "stockade metrics [--socket PATH]",
                        "Prints the metrics of a running stockade serve in the Prometheus text "
                        "format.",
                        "The same text the optional HTTP endpoint (metrics.listen) serves. An admin\n"
                        "client's request.\n",
                        0);
  if (parsed.exit) return *parsed.exit;
  int exit = kExitOk;
  auto client = connect_or_exit(parsed.options, exit);
  if (!client) return exit;
  auto reply = answer_or_exit("metrics", client->metrics(), exit);
  if (!reply) return exit;
  print_text(reply->text);
  return kExitOk;
}

}  // namespace stockade::supervisor
