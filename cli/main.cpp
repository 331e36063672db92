// The `stockade` program: dispatches to one file per subcommand.
#include <cstdio>
#include <string>
#include <vector>

#include <signal.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/stderr_text.h"

namespace {

constexpr const char* kHelp =
    "usage: stockade COMMAND [OPTIONS]\n"
    "\n"
    "stockade runs untrusted plugin binaries, each checked against a sha256 whitelist\n"
    "and started in its own sandbox (namespaces, read-only root, seccomp, limits).\n"
    "\n"
    "commands:\n"
    "  jail   run one binary in the sandbox a manifest describes, stdio attached:\n"
    "         stockade jail [--manifest FILE] (--whitelist FILE | --dev) [limits] -- BINARY [ARGS...]\n"
    "  call   start one plugin, make one Execute (or --info, --health) and print the answer:\n"
    "         stockade call --plugins DIR (--whitelist FILE | --dev) PLUGIN [--method M] [--data S]\n"
    "  check  validate an operator config, its whitelist and every plugin manifest:\n"
    "         stockade check --config FILE\n"
    "  serve  the daemon: one supervisor, the control socket, reload on SIGHUP:\n"
    "         stockade serve --config FILE [--log-format text|json]\n"
    "  conformance  drive one plugin through the wire protocol's cases, PASS/FAIL each:\n"
    "         stockade conformance --plugins DIR (--whitelist FILE | --dev) PLUGIN\n"
    "\n"
    "clients of a running stockade serve (--socket PATH, else $STOCKADE_SOCKET,\n"
    "else /run/stockade/control.sock):\n"
    "  call --socket PATH PLUGIN [--method M] [--data S | --data-file F] [--timeout MS]\n"
    "  status   the daemon's plugins, their states and counters: status [--json]\n"
    "  reload   read the config, whitelist and plugin folders anew\n"
    "  restart  restart one plugin: restart PLUGIN\n"
    "  metrics  the daemon's metrics, Prometheus text\n"
    "\n"
    "  stockade COMMAND --help   explains a command, its options and exit codes\n"
    "  stockade help exit-codes  prints the exit codes of every command\n"
    "  stockade --version        prints the version\n"
    "\n"
    "  -q, --quiet (jail, call, check): only errors on stderr\n"
    "\n"
    "docs: stockade(1), plugin.json(5), stockade.json(5); docs/operators.md\n";

std::string help_text() {
  return std::string(kHelp) + "\nexit codes, the same for every command (and plugin-hash):\n" +
         stockade::supervisor::exit_code_table();
}

}  // namespace

int main(int argc, char** argv) {
  // Every message, of every command, reaches fd 2 with its control
  // characters escaped (stderr_text.h); first, so the logger writes there.
  stockade::supervisor::install_escaping_stderr();
  // A reader that went away (a plugin's pipe, a closed stdout, a socket shut
  // down) is an EPIPE to handle, never our death: the report must get out.
  // Sandboxes start with SIGPIPE at its default (the child resets them all).
  ::signal(SIGPIPE, SIG_IGN);
  // Logs go to stderr: stdout belongs to the jailed program or to the command's output.
  // No colour sink: colours are escapes, and stderr escapes them.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("stockade"));
  spdlog::set_pattern("stockade: [%l] %v");

  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (args.empty()) {
    std::fputs(help_text().c_str(), stderr);
    return stockade::supervisor::kExitOwnFailure;
  }
  const std::string command = args.front();
  std::span<const std::string> rest(args.data() + 1, args.size() - 1);
  if (command == "help" && rest.size() == 1 && rest.front() == "exit-codes") {
    std::fputs(stockade::supervisor::exit_code_table().c_str(), stdout);
    return 0;
  }
  if (command == "help" && rest.size() == 1) {
    // "stockade help jail" is "stockade jail --help".
    const std::vector<std::string> help{"--help"};
    if (rest.front() == "jail") return stockade::supervisor::run_jail(help);
    if (rest.front() == "check") return stockade::supervisor::run_check(help);
    if (rest.front() == "call") return stockade::supervisor::run_call(help);
    if (rest.front() == "serve") return stockade::supervisor::run_serve(help);
    if (rest.front() == "status") return stockade::supervisor::run_status(help);
    if (rest.front() == "reload") return stockade::supervisor::run_reload(help);
    if (rest.front() == "restart") return stockade::supervisor::run_restart(help);
    if (rest.front() == "metrics") return stockade::supervisor::run_metrics(help);
    if (rest.front() == "conformance") return stockade::supervisor::run_conformance(help);
  }
  if (command == "--help" || command == "-h" || (command == "help" && rest.empty())) {
    std::fputs(help_text().c_str(), stdout);
    return 0;
  }
  if (command == "help") {
    std::fprintf(stderr, "stockade: help takes exit-codes or a command's name (see stockade --help)\n");
    return stockade::supervisor::kExitOwnFailure;
  }
  if (command == "--version") {
    std::printf("stockade %s\n", STOCKADE_VERSION);
    return 0;
  }
  if (command == "jail") return stockade::supervisor::run_jail(rest);
  if (command == "check") return stockade::supervisor::run_check(rest);
  if (command == "call") return stockade::supervisor::run_call(rest);
  if (command == "serve") return stockade::supervisor::run_serve(rest);
  if (command == "status") return stockade::supervisor::run_status(rest);
  if (command == "reload") return stockade::supervisor::run_reload(rest);
  if (command == "restart") return stockade::supervisor::run_restart(rest);
  if (command == "metrics") return stockade::supervisor::run_metrics(rest);
  if (command == "conformance") return stockade::supervisor::run_conformance(rest);
  std::fprintf(stderr, "stockade: unknown command \"%s\" (see stockade --help)\n", command.c_str());
  return stockade::supervisor::kExitOwnFailure;
}
