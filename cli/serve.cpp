// `stockade serve --config FILE [--log-format text|json]`: the daemon, in the
// foreground (as systemd's Type=notify expects). The work is daemon/'s; this
// file parses the options and maps the outcome to an exit code.
#include <cstdio>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/options.h"
#include "daemon/daemon.h"

namespace stockade::supervisor {

int run_serve(std::span<const std::string> args) {
  bool help = false;
  std::optional<std::string> config_path, log_format;
  OptionParser parser("stockade serve --config FILE [--log-format text|json]",
                      "Runs the daemon in the foreground: one supervisor for the plugins of the config,\n"
                      "serving the clients of its access list on the control socket (control.socket).\n"
                      "SIGHUP reloads the config; SIGTERM and SIGINT stop it cleanly.");
  parser.text("--config", "FILE", "the operator config (JSON), see stockade.json(5)", config_path);
  parser.text("--log-format", "FORMAT",
              "text (default) or json (one object a line: time, level, plugin, message);"
              " under journald no timestamps, syslog priority prefixes",
              log_format);
  parser.flag("--help", "show this help", help);
  parser.epilog(
      "exit codes:\n"
      "  0     stopped cleanly (SIGTERM or SIGINT)\n"
      "  125   could not start: usage, the config, its whitelist or plugins folder, the socket\n"
      "  126   refused: a file or the socket's folder that someone else could change\n"
      "\n"
      "environment: NOTIFY_SOCKET, WATCHDOG_USEC (systemd notify), LISTEN_FDS (socket\n"
      "activation), JOURNAL_STREAM. docs/operators.md, \"stockade serve\".\n");
  auto operands = parser.parse(args);
  std::optional<daemon::LogFormat> format = daemon::LogFormat::text;
  if (operands && log_format) format = daemon::parse_log_format(*log_format);
  if (!operands || !operands->empty() || (!help && !config_path) || !format) {
    std::string why = !operands               ? operands.error().message()
                      : !operands->empty()    ? "unexpected operand \"" + operands->front() + "\""
                      : !format               ? "--log-format takes text or json"
                                              : std::string("--config FILE is required");
    std::fprintf(stderr, "stockade serve: %s (see stockade serve --help)\n", why.c_str());
    return kExitOwnFailure;
  }
  if (help) {
    std::fputs(parser.help().c_str(), stdout);
    return kExitOk;
  }
  auto served = daemon::serve(daemon::ServeOptions{*config_path, *format});
  if (served) return kExitOk;
  return served.error().code == Errc::refused ? kExitRefused : kExitOwnFailure;
}

}  // namespace stockade::supervisor
