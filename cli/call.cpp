// `stockade call`: start one plugin, make one Execute (or Info, or Health),
// print the answer, stop the plugin. Exit codes are in kEpilog.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/options.h"
#include "cli/commands.h"
#include "config/config.h"
#include "stockade/supervisor.h"

namespace stockade::supervisor {
namespace {

struct CallOptions {
  bool help = false, dev = false, info = false, health = false;
  std::optional<std::string> plugins, whitelist, config, method, data, data_file;
  std::optional<uint32_t> timeout, handshake_timeout;
};

constexpr const char* kEpilog =
    "PLUGIN names a folder of the plugins directory holding its plugin.json. The\n"
    "response payload is written to stdout as is; errors are one line on stderr\n"
    "naming the code and the message. --config supplies the operator's ceilings,\n"
    "and plugins_dir and whitelist when --plugins and --whitelist are not given.\n"
    "\n"
    "exit codes: 0 the call succeeded (--health: the plugin is SERVING);\n"
    "1 the plugin answered with an error (--health: NOT_SERVING);\n"
    "3 the plugin could not answer (it exited, failed its handshake, or is unavailable);\n"
    "124 the deadline passed (DEADLINE_EXCEEDED); 128+N the plugin was killed by signal N\n"
    "during the call; 125 stockade's own failure (usage, bad manifest or config, sandbox\n"
    "setup); 126 refused (not whitelisted, beyond a ceiling, handshake refused);\n"
    "127 no such plugin, or its binary does not exist.\n"
    "\n"
    "examples:\n"
    "  stockade call --plugins build/examples/plugins --whitelist wl echo --data hello\n"
    "  stockade call --plugins plugins --dev calculator --method eval --data-file req.bin\n"
    "  stockade call --config /etc/stockade/config.json echo --info\n";

OptionParser make_parser(CallOptions& o) {
  OptionParser p("stockade call --plugins DIR (--whitelist FILE | --dev) PLUGIN [--method M] [--data S | --data-file F] [--timeout MS]",
                 "Starts PLUGIN in its sandbox, makes one Execute call and prints the response payload.");
  p.text("--plugins", "DIR", "the plugins directory (one folder per plugin)", o.plugins);
  p.text("--whitelist", "FILE", "whitelist the plugin's binary must be pinned in", o.whitelist);
  p.flag("--dev", "development mode: run the plugin unverified (logs a loud warning)", o.dev);
  p.text("--config", "FILE", "operator config: ceilings, and defaults for --plugins/--whitelist", o.config);
  p.text("--method", "M", "the Execute method (default: execute)", o.method);
  p.text("--data", "S", "the request payload, as given", o.data);
  p.text("--data-file", "F", "read the request payload from F (- for stdin)", o.data_file);
  p.integer("--timeout", "MS", "deadline of the call, retries included (default: manifest)", o.timeout, 1,
            3600 * 1000);
  p.integer("--handshake-timeout", "MS", "time allowed from spawn to Hello (default 5000)",
            o.handshake_timeout, 1, 600 * 1000);
  p.flag("--info", "print the plugin's Info instead of calling Execute", o.info);
  p.flag("--health", "print the plugin's Health instead of calling Execute", o.health);
  p.flag("--help", "show this help", o.help);
  p.epilog(kEpilog);
  return p;
}

void print_line(const std::string& line) { std::fprintf(stderr, "stockade: %s\n", line.c_str()); }

int usage_error(const std::string& message) {
  print_line(message + " (see stockade call --help)");
  return kExitOwnFailure;
}

int exit_code_for_start(const Error& e) {
  switch (e.code) {
    case Errc::not_found: return kExitNotFound;
    case Errc::refused: return kExitRefused;
    case Errc::unavailable:
      // A refused handshake (wrong version, bad cookie) is a refusal too.
      return e.what.find("handshake refused") != std::string::npos ? kExitRefused : 3;
    case Errc::timeout: return 3;
    default: return kExitOwnFailure;
  }
}

int exit_code_for_call(const CallError& e) {
  if (e.code == StatusCode::deadline_exceeded) return 124;
  if (e.delivery == Delivery::answered) return 1;
  if (e.plugin_exit && *e.plugin_exit > 128) return *e.plugin_exit;
  return 3;
}

Result<Bytes> read_payload(const CallOptions& o) {
  if (o.data) return Bytes(o.data->begin(), o.data->end());
  if (!o.data_file) return Bytes{};
  if (*o.data_file == "-") {
    std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return Bytes(all.begin(), all.end());
  }
  std::ifstream in(*o.data_file, std::ios::binary);
  if (!in) return Error{Errc::not_found, "cannot open the data file", *o.data_file};
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Bytes(all.begin(), all.end());
}

int print_info(const PluginInfo& info) {
  std::printf("name: %s\nversion: %s\ndescription: %s\n", info.name.c_str(), info.version.c_str(),
              info.description.c_str());
  auto list = [](const char* label, const std::vector<std::string>& items) {
    std::printf("%s:", label);
    for (const auto& item : items) std::printf(" %s", item.c_str());
    std::printf("\n");
  };
  list("capabilities", info.capabilities);
  list("methods", info.methods);
  for (const auto& [key, value] : info.metadata) std::printf("metadata: %s=%s\n", key.c_str(), value.c_str());
  return 0;
}

}  // namespace

int run_call(std::span<const std::string> args) {
  CallOptions o;
  OptionParser parser = make_parser(o);
  auto operands = parser.parse(args);
  if (!operands) return usage_error(operands.error().message());
  if (o.help) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  if (operands->empty()) return usage_error("missing PLUGIN");
  // The synopsis puts options after PLUGIN too; the parser stops at the first
  // operand, so what follows it is parsed again.
  if (operands->size() > 1) {
    std::vector<std::string> after(operands->begin() + 1, operands->end());
    auto more = parser.parse(after);
    if (!more) return usage_error(more.error().message());
    if (!more->empty()) return usage_error("unexpected argument \"" + more->front() + "\"");
    operands->resize(1);
  }
  if (o.help) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  if (o.data && o.data_file) return usage_error("give at most one of --data and --data-file");
  if (o.info && o.health) return usage_error("give at most one of --info and --health");
  const std::string& name = operands->front();

  SupervisorOptions options;
  if (o.config) {
    Problems problems;
    auto config = load_config(*o.config, &problems);
    if (!config) {
      for (const auto& p : problems) print_line(p.message());
      // An untrusted config (whitelist/trust_path.h) is a refusal.
      return config.error().code == Errc::refused ? kExitRefused : kExitOwnFailure;
    }
    options.ceilings = config->ceilings;
    options.identity = config->sandbox;
    options.plugins_dir = config->plugins_dir;
    if (!o.dev) options.whitelist = config->whitelist;
  }
  if (o.plugins) options.plugins_dir = *o.plugins;
  if (o.whitelist) options.whitelist = *o.whitelist;
  if (o.dev && o.whitelist) return usage_error("give only one of --whitelist FILE and --dev");
  options.dev = o.dev;
  if (options.plugins_dir.empty()) return usage_error("missing --plugins DIR (or --config)");
  if (!o.dev && options.whitelist.empty()) return usage_error("give --whitelist FILE or --dev");
  if (o.handshake_timeout) options.handshake_timeout = std::chrono::milliseconds(*o.handshake_timeout);
  // One call: periodic health checks would only add noise.
  options.health_checks = false;
  auto payload = read_payload(o);
  if (!payload) {
    print_line(payload.error().message());
    return kExitNotFound;
  }

  auto supervisor = Supervisor::create(options);
  if (!supervisor) {
    print_line(supervisor.error().message());
    return exit_code_for_start(supervisor.error());
  }
  auto& sup = **supervisor;
  const std::vector<std::string> names = sup.plugins();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    for (const auto& problem : sup.discovery_problems()) {
      if (problem.where.find("/" + name + "/") != std::string::npos) {
        print_line(problem.message());
        return problem.code == Errc::refused ? kExitRefused : kExitOwnFailure;
      }
    }
    print_line("no plugin named \"" + name + "\" in " + options.plugins_dir);
    return kExitNotFound;
  }
  if (auto started = sup.start(name); !started) {
    print_line("cannot start " + name + ": " + started.error().message());
    return exit_code_for_start(started.error());
  }

  std::optional<std::chrono::milliseconds> timeout;
  if (o.timeout) timeout = std::chrono::milliseconds(*o.timeout);
  if (o.info) {
    auto info = sup.info(name, timeout);
    if (!info) {
      print_line("info failed: " + info.error().describe());
      return exit_code_for_call(info.error());
    }
    return print_info(*info);
  }
  if (o.health) {
    auto health = sup.health(name, timeout);
    if (!health) {
      print_line("health failed: " + health.error().describe());
      return exit_code_for_call(health.error());
    }
    std::printf("%s%s%s\n", health->serving ? "SERVING" : "NOT_SERVING",
                health->message.empty() ? "" : ": ", health->message.c_str());
    return health->serving ? 0 : 1;
  }
  auto reply = sup.execute(name, o.method.value_or("execute"), *payload, ExecuteOptions{timeout, std::nullopt});
  if (!reply) {
    print_line("call failed: " + reply.error().describe());
    return exit_code_for_call(reply.error());
  }
  std::fwrite(reply->data(), 1, reply->size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace stockade::supervisor
