// `stockade call`: start one plugin, make one Execute (or Info, or Health),
// print the answer, stop the plugin. Exit codes are in kCallEpilog.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "base/syscall.h"
#include "base/unique_fd.h"
#include "cli/options.h"
#include "cli/commands.h"
#include "cli/remote_call.h"
#include "cli/usage_error.h"
#include "config/config.h"
#include "stockade/supervisor.h"
#include "wire/protocol.h"

namespace stockade::supervisor {
namespace {

struct CallOptions {
  bool help = false, dev = false, info = false, health = false, quiet = false;
  std::optional<std::string> plugins, whitelist, config, method, data, data_file, socket;
  std::optional<uint32_t> timeout, handshake_timeout;
};

constexpr const char* kCallEpilog =
    "PLUGIN names a folder of the plugins directory holding its plugin.json. The\n"
    "response payload is written to stdout as is; errors are one line on stderr\n"
    "naming the code and the message. --config supplies the operator's ceilings,\n"
    "and plugins_dir and whitelist when --plugins and --whitelist are not given.\n"
    "\n"
    "With --quiet, stderr gets only errors: the supervisor's info and warning lines\n"
    "and the plugin's own stderr lines are dropped (--dev's warning stays: it names\n"
    "the binary that ran unverified).\n"
    "\n"
    "With --socket, a running stockade serve makes the call (its plugins, whitelist\n"
    "and access list; --plugins, --whitelist, --dev, --config and --handshake-timeout\n"
    "do not apply), with the same output and exit codes; without --plugins or\n"
    "--config, $STOCKADE_SOCKET, when set, names the socket.\n";

constexpr const char* kCallExamples =
    "examples:\n"
    "  stockade call --plugins build/examples/plugins --whitelist wl echo --data hello\n"
    "  stockade call --plugins build/examples/plugins --dev calculator --method calc --data '6 * 7'\n"
    "  stockade call --plugins plugins --whitelist wl calculator --method add --data-file req.bin\n"
    "  stockade call --config /etc/stockade/config.json echo --info\n"
    "  stockade call --socket /run/stockade/control.sock echo --data hello\n";

OptionParser make_parser(CallOptions& o) {
  OptionParser p("stockade call --plugins DIR (--whitelist FILE | --dev) PLUGIN [--method M] [--data S | --data-file F] [--timeout MS]",
                 "Starts PLUGIN in its sandbox, makes one Execute call and prints the response payload.");
  p.text("--plugins", "DIR", "the plugins directory (one folder per plugin)", o.plugins);
  p.text("--whitelist", "FILE", "whitelist the plugin's binary must be pinned in", o.whitelist);
  p.flag("--dev", "development mode: run the plugin unverified (logs a loud warning)", o.dev);
  p.text("--config", "FILE", "operator config: ceilings, and defaults for --plugins/--whitelist", o.config);
  p.text("--socket", "PATH", "make the call through the stockade serve listening at PATH", o.socket);
  p.text("--method", "M", "the Execute method (default: execute)", o.method);
  p.text("--data", "S", "the request payload, as given", o.data);
  p.text("--data-file", "F", "read the request payload from F (- for stdin)", o.data_file);
  p.integer("--timeout", "MS", "deadline of the call, retries included (default: manifest)", o.timeout, 1,
            3600 * 1000);
  p.integer("--handshake-timeout", "MS", "time allowed from spawn to Hello (default 5000)",
            o.handshake_timeout, 1, 600 * 1000);
  p.flag("--info", "print the plugin's Info instead of calling Execute", o.info);
  p.flag("--health", "print the plugin's Health instead of calling Execute", o.health);
  p.flag("--quiet", "only errors on stderr: no info or warning lines, no plugin stderr", o.quiet);
  p.alias('q', "--quiet");
  p.flag("--help", "show this help", o.help);
  p.epilog(std::string(kCallEpilog) + "\nexit codes (stockade help exit-codes has them all):\n" +
           exit_code_table(kForCall) + "\n" + kCallExamples);
  return p;
}

int exit_code_for_start(const Error& e) {
  switch (e.code) {
    case Errc::not_found: return kExitNotFound;
    case Errc::refused: return kExitRefused;
    case Errc::unavailable:
      // A refused handshake (wrong version, bad cookie) is a refusal too.
      return e.what.find("handshake refused") != std::string::npos ? kExitRefused : kExitUnanswered;
    case Errc::timeout: return kExitUnanswered;
    default: return kExitOwnFailure;
  }
}

int exit_code_for_call(const CallError& e) {
  if (e.code == StatusCode::deadline_exceeded) return kExitDeadline;
  // Refused before it was sent: a payload beyond the plugin's frame limit.
  if (e.code == StatusCode::invalid_argument && e.delivery == Delivery::not_sent) return kExitRefused;
  if (e.delivery == Delivery::answered) return kExitNo;
  if (e.plugin_exit && *e.plugin_exit > kExitSignalBase) return *e.plugin_exit;
  return kExitUnanswered;
}

// Reads all of `path` (a file, a FIFO, /dev/fd/N), at most the largest
// payload any plugin may accept: execute.max_payload_mb's ceiling (64 GiB,
// in a memfd), which is above the largest frame.
Result<Bytes> read_data_file(const std::string& path) {
  constexpr uint64_t kLargestPayload = uint64_t{kMaxPayloadMbRange} << 20;
  static_assert(kLargestPayload >= wire::kMaxFrameCeiling);
  UniqueFd fd(retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY); }));
  if (!fd) return sys_error("cannot open the --data-file", path);
  Bytes all;
  uint8_t chunk[64 * 1024];
  for (;;) {
    const ssize_t n = retry_on_eintr([&] { return ::read(fd.get(), chunk, sizeof chunk); });
    if (n < 0) return sys_error("cannot read the --data-file", path);
    if (n == 0) return all;
    if (all.size() + static_cast<size_t>(n) > kLargestPayload) {
      return Error{Errc::limit,
                   "the --data-file is larger than any plugin accepts (" +
                       std::to_string(kLargestPayload >> 30) + " GiB, the ceiling of execute.max_payload_mb)",
                   path};
    }
    all.insert(all.end(), chunk, chunk + n);
  }
}

Result<Bytes> read_payload(const CallOptions& o) {
  if (o.data) return Bytes(o.data->begin(), o.data->end());
  if (!o.data_file) return Bytes{};
  if (*o.data_file == "-") {
    std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return Bytes(all.begin(), all.end());
  }
  return read_data_file(*o.data_file);
}

// The runtime's log records, printed as the runtime prints them (spdlog,
// "[plugin] message"), but: --quiet keeps only errors, and while the plugin
// is found and started its error records are held. If that fails, call's
// own line says why (once); the runtime's records of the same failure
// ("plugin skipped: ...", the launch error) are dropped. If it succeeds,
// they are printed then. Records arrive from the loop thread too.
class CallLog {
 public:
  explicit CallLog(bool quiet) : quiet_(quiet) {}
  CallLog(const CallLog&) = delete;
  CallLog& operator=(const CallLog&) = delete;

  // The sink must not outlive this object: declare it before the Supervisor.
  LogSink sink() {
    return [this](const LogRecord& record) { on_record(record); };
  }
  // Ends the hold: prints what was held; or, when call reports the failure
  // itself and ends, drops it and every error record still to come (the
  // runtime logs a failed start again once the caller has its result).
  void release(bool drop) {
    std::lock_guard lock(mutex_);
    holding_ = false;
    dropping_ = drop;
    if (!drop) {
      for (const auto& [plugin, message] : held_) print(LogLevel::error, plugin, message);
    }
    held_.clear();
  }

 private:
  void on_record(const LogRecord& r) {
    if (r.level == LogLevel::debug) return;
    if (quiet_ && r.level != LogLevel::error) return;
    std::lock_guard lock(mutex_);
    if (dropping_ && r.level == LogLevel::error) return;
    if (holding_ && r.level == LogLevel::error) {
      held_.emplace_back(std::string(r.plugin), std::string(r.message));
      return;
    }
    print(r.level, r.plugin, r.message);
  }
  static void print(LogLevel level, std::string_view plugin, std::string_view message) {
    const auto spd = level == LogLevel::error  ? spdlog::level::err
                     : level == LogLevel::warn ? spdlog::level::warn
                                               : spdlog::level::info;
    if (plugin.empty()) spdlog::log(spd, "{}", message);
    else spdlog::log(spd, "[{}] {}", plugin, message);
  }

  const bool quiet_;
  std::mutex mutex_;
  bool holding_ = true;
  bool dropping_ = false;
  std::vector<std::pair<std::string, std::string>> held_;
};

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
  if (!operands) return usage_error("call", operands.error().message());
  if (o.help) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  if (operands->empty()) return usage_error("call", "missing PLUGIN");
  // The synopsis puts options after PLUGIN too; the parser stops at the first
  // operand, so what follows it is parsed again.
  if (operands->size() > 1) {
    std::vector<std::string> after(operands->begin() + 1, operands->end());
    auto more = parser.parse(after);
    if (!more) return usage_error("call", more.error().message());
    if (!more->empty()) return usage_error("call", "unexpected argument \"" + more->front() + "\"");
    operands->resize(1);
  }
  if (o.help) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  if (o.data && o.data_file) return usage_error("call", "give at most one of --data and --data-file");
  if (o.info && o.health) return usage_error("call", "give at most one of --info and --health");
  const std::string& name = operands->front();
  if (o.socket || (!o.plugins && !o.config && !o.dev && !o.whitelist &&
                   std::getenv("STOCKADE_SOCKET") != nullptr)) {
    if (o.plugins || o.whitelist || o.dev || o.config || o.handshake_timeout) {
      return usage_error("call", "--socket: the daemon's plugins, whitelist and config apply; drop "
                         "--plugins, --whitelist, --dev, --config and --handshake-timeout");
    }
    auto payload = read_payload(o);
    if (!payload) {
      print_line(payload.error().message());
      return kExitOwnFailure;
    }
    return run_remote_call(RemoteCall{o.socket, name, o.method.value_or("execute"),
                                      std::move(*payload), o.timeout, o.info, o.health});
  }

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
    options.max_plugin_folders = config->max_plugins;
    options.cache_digests = config->cache_digests;
    options.spin_wait = config->spin_wait;
    if (!o.dev) options.whitelist = config->whitelist;
  }
  if (o.plugins) options.plugins_dir = *o.plugins;
  if (o.whitelist) options.whitelist = *o.whitelist;
  if (o.dev && o.whitelist) return usage_error("call", "give only one of --whitelist FILE and --dev");
  options.dev = o.dev;
  if (options.plugins_dir.empty()) return usage_error("call", "missing --plugins DIR (or --config)");
  if (!o.dev && options.whitelist.empty()) return usage_error("call", "give --whitelist FILE or --dev");
  if (o.handshake_timeout) options.handshake_timeout = std::chrono::milliseconds(*o.handshake_timeout);
  // One call: periodic health checks would only add noise.
  options.health_checks = false;
  if (o.quiet) spdlog::set_level(spdlog::level::err);
  CallLog log(o.quiet);
  options.log = log.sink();
  // A data file given is stockade's input, as a config or whitelist is: 125.
  auto payload = read_payload(o);
  if (!payload) {
    print_line(payload.error().message());
    return kExitOwnFailure;
  }

  auto supervisor = Supervisor::create(options);
  if (!supervisor) {
    // Nothing was started yet: a whitelist or plugins folder missing,
    // unreadable or malformed is stockade's own failure (125, as in jail);
    // one others can write is refused.
    log.release(/*drop=*/true);
    print_line(supervisor.error().message());
    return supervisor.error().code == Errc::refused ? kExitRefused : kExitOwnFailure;
  }
  auto& sup = **supervisor;
  const std::vector<std::string> names = sup.plugins();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    for (const auto& problem : sup.discovery_problems()) {
      if (problem.where.find("/" + name + "/") != std::string::npos) {
        log.release(/*drop=*/true);
        print_line(problem.message());
        return problem.code == Errc::refused ? kExitRefused : kExitOwnFailure;
      }
    }
    // The folders skipped may explain it: their records stay.
    log.release(/*drop=*/false);
    print_line("no plugin named \"" + name + "\" in " + options.plugins_dir);
    return kExitNotFound;
  }
  if (auto started = sup.start(name); !started) {
    log.release(/*drop=*/true);
    print_line("cannot start " + name + ": " + started.error().message());
    return exit_code_for_start(started.error());
  }
  log.release(/*drop=*/false);

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
