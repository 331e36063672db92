// `stockade jail`: one binary in the sandbox its manifest describes, stdio
// attached, no protocol. The operator's and tester's window into the sandbox.
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/options.h"
#include "cli/commands.h"
#include "config/config.h"
#include "config/effective_policy.h"
#include "config/interpreted_launch.h"
#include "config/manifest.h"
#include "config/name_rules.h"
#include "cli/run_attached.h"
#include "cli/status_channel.h"
#include "cli/status_report.h"
#include "cli/stderr_text.h"
#include "cli/terminal_text.h"
#include "cli/usage_error.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {
namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

struct JailOptions {
  bool help = false;
  bool dev = false;
  bool quiet = false;
  std::optional<std::string> manifest;
  std::optional<std::string> whitelist;
  std::optional<std::string> config;
  std::optional<uint32_t> time_limit;
  std::optional<uint32_t> status_fd;
  std::optional<std::string> status_file;
  std::optional<uint32_t> memory_mb, cpu_cores, cpu_seconds, processes, open_files, file_size_mb,
      tmp_mb;
  std::optional<std::string> network;
  std::vector<std::string> readonly_paths;
  std::vector<std::string> syscalls;
  std::vector<std::string> env;
};

constexpr const char* kJailEpilog =
    "BINARY is a path, or a name looked up in $PATH. It must be pinned in the whitelist\n"
    "under the manifest's name, or under its own base name when there is no manifest.\n"
    "With an interpreted manifest (\"interpreter\"), BINARY is its script; the interpreter,\n"
    "the script and its \"files\" are verified (plugin-hash --plugin DIR pins them).\n"
    "The limit options replace the manifest's requests; the operator's ceilings\n"
    "(--config, or the built-in defaults) still cap them. Without --manifest the\n"
    "documented manifest defaults apply (docs/plugin-authors.md, \"The manifest\", and plugin.json(5)).\n"
    "\n"
    "stdio: the program gets pipes, never stockade's own descriptors; stockade copies\n"
    "them to and from its stdin, stdout and stderr (and escapes control characters in\n"
    "what goes to a terminal, so the program cannot fake or hide stockade's line).\n"
    "\n"
    "status: --status-fd N or --status-file F receive one JSON object at the end: how\n"
    "the run ended (kind, exit_code, code, signal, syscall, limit), the limits and the\n"
    "timings. The program cannot write there; trust it over what the terminal shows.\n"
    "\n"
    "An abnormal end prints one line on stderr with the reason (seccomp violation and\n"
    "the syscall, memory/CPU/file-size/time limit, signal), --quiet or not.\n";

constexpr const char* kJailExamples =
    "examples:\n"
    "  stockade jail --whitelist /etc/stockade/whitelist -- /usr/bin/id\n"
    "  stockade jail --manifest plugins/calc/plugin.json --whitelist wl --time-limit 10 \\\n"
    "      -- plugins/calc/calc --selftest\n"
    "  stockade jail --dev --memory-mb 64 --network none -- ./a.out\n";

OptionParser make_parser(JailOptions& o) {
  OptionParser p("stockade jail [--manifest FILE] (--whitelist FILE | --dev) [limits] "
                 "[--status-fd N | --status-file F] -- BINARY [ARGS...]",
                 "Runs BINARY in a sandbox with stdin, stdout and stderr relayed (no protocol).");
  p.text("--manifest", "FILE", "plugin.json describing the sandbox (strict; defaults if absent)", o.manifest);
  p.text("--whitelist", "FILE", "whitelist BINARY must be pinned in", o.whitelist);
  p.flag("--dev", "development mode: run BINARY unverified (logs a loud warning)", o.dev);
  p.text("--config", "FILE", "operator config whose ceilings apply (default: built-in ceilings)", o.config);
  p.integer("--time-limit", "SECONDS",
            "kill the sandbox after this wall-clock time (default: resources.max_wall_seconds, "
            "600 s without a manifest; capped by the operator's max_wall_seconds)",
            o.time_limit, 1, kMaxWallSecondsRange);
  p.integer("--memory-mb", "N", "resources.max_memory_mb", o.memory_mb, 1, kMaxMemoryMbRange);
  p.integer("--cpu-cores", "N", "resources.max_cpu_cores", o.cpu_cores, 1, 1024);
  p.integer("--cpu-seconds", "N", "resources.max_cpu_seconds", o.cpu_seconds, 1, kMaxCpuSecondsRange);
  p.integer("--processes", "N", "resources.max_processes", o.processes, 1, kMaxProcessesRange);
  p.integer("--open-files", "N", "resources.max_open_files", o.open_files, kMinOpenFiles,
            kMaxOpenFilesRange);
  p.integer("--file-size-mb", "N", "resources.max_file_size_mb", o.file_size_mb, 0,
            kMaxFileSizeMbRange);
  p.integer("--tmp-mb", "N", "sandbox.tmpfs_mb (size of the private /tmp)", o.tmp_mb, 1,
            kMaxTmpfsMbRange);
  p.text("--network", "none|host", "sandbox.network", o.network);
  p.texts("--ro", "PATH", "add to sandbox.readonly_paths (repeatable)", o.readonly_paths);
  p.texts("--syscall", "NAME", "add to sandbox.extra_syscalls (repeatable)", o.syscalls);
  p.texts("--env", "KEY=VALUE", "add to env (repeatable; nothing is inherited)", o.env);
  p.integer("--status-fd", "N",
            "write the status object (JSON) to fd N at the end (N >= 3: 0, 1 and 2 carry the "
            "program's stdio)",
            o.status_fd, 3, INT_MAX);
  p.text("--status-file", "FILE",
         "create FILE (mode 0600; an existing file or symlink is refused) and write the status "
         "object there",
         o.status_file);
  p.flag("--quiet", "only errors on stderr: no info or warning lines (--dev's still warns)", o.quiet);
  p.alias('q', "--quiet");
  p.flag("--help", "show this help", o.help);
  p.epilog(std::string(kJailEpilog) + "\nexit codes (stockade help exit-codes has them all):\n" +
           exit_code_table(kForJail) + "\n" + kJailExamples);
  return p;
}

// On a terminal, stockade's last line starts a line of its own, after a
// reset of the terminal's state, with a prefix in a style the program
// cannot produce (its escapes arrive escaped): the line is unmistakable.
constexpr const char* kTerminalMark = "\x1b[0m\x1b(B\x1b[1;7mstockade:\x1b[0m ";

// The line that ends a run, printed after the status object is written.
struct EndLine {
  std::string text;
  bool terminal = false;
  bool at_line_start = true;
};

void print_end_line(const EndLine& end) {
  if (!end.terminal) {
    // A line of its own in a log too, after output that ended mid-line.
    if (!end.at_line_start) std::fputc('\n', stderr);
    print_line(end.text);
    return;
  }
  std::string text = end.at_line_start ? "" : "\n";
  text += kTerminalMark + escape_for_terminal(end.text) + "\n";
  // Bounded: a terminal whose output is stopped (^S) must not hold our end.
  write_stderr_raw(text, std::chrono::seconds(2));
}

// Applies the command-line limits to the manifest's requests. Returns, per
// manifest field, the option that set it, so a refusal can name the option.
Result<std::map<std::string, std::string>> apply_overrides(const JailOptions& o, Manifest& m) {
  // Refusals are named by field; this one also by its option.
  std::map<std::string, std::string> from;
  auto set = [&](const std::optional<uint32_t>& value, uint32_t& field, const char* name,
                 const char* option) {
    if (!value) return;
    field = *value;
    from[name] = option;
  };
  auto& r = m.resources;
  set(o.memory_mb, r.max_memory_mb, "resources.max_memory_mb", "--memory-mb");
  set(o.cpu_seconds, r.max_cpu_seconds, "resources.max_cpu_seconds", "--cpu-seconds");
  set(o.processes, r.max_processes, "resources.max_processes", "--processes");
  set(o.open_files, r.max_open_files, "resources.max_open_files", "--open-files");
  set(o.file_size_mb, r.max_file_size_mb, "resources.max_file_size_mb", "--file-size-mb");
  set(o.tmp_mb, m.sandbox.tmpfs_mb, "sandbox.tmpfs_mb", "--tmp-mb");
  set(o.time_limit, r.max_wall_seconds, "resources.max_wall_seconds", "--time-limit");
  if (o.cpu_cores) {
    r.max_cpu_cores = *o.cpu_cores;
    from["resources.max_cpu_cores"] = "--cpu-cores";
  }
  if (o.network) {
    if (*o.network != "none" && *o.network != "host") {
      return Error{Errc::invalid_input, "must be none or host (got \"" + *o.network + "\")", "--network"};
    }
    m.sandbox.network = *o.network == "host" ? sandbox::Network::host : sandbox::Network::none;
    from["sandbox.network"] = "--network";
  }
  for (const auto& path : o.readonly_paths) {
    if (!is_normalized_absolute_path(path)) {
      return Error{Errc::invalid_input, "must be an absolute path without \".\" or \"..\" (got \"" + path + "\")", "--ro"};
    }
    from["sandbox.readonly_paths[" + std::to_string(m.sandbox.readonly_paths.size()) + "]"] = "--ro";
    m.sandbox.readonly_paths.push_back(path);
  }
  for (const auto& name : o.syscalls) {
    if (!is_syscall_name(name)) {
      return Error{Errc::invalid_input, "not a syscall name: \"" + name + "\"", "--syscall"};
    }
    from["sandbox.extra_syscalls[" + std::to_string(m.sandbox.extra_syscalls.size()) + "]"] = "--syscall";
    m.sandbox.extra_syscalls.push_back(name);
  }
  for (const auto& kv : o.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || !is_env_key(kv.substr(0, eq))) {
      return Error{Errc::invalid_input, "must be KEY=VALUE with KEY of [A-Za-z_][A-Za-z0-9_]* (got \"" + kv + "\")", "--env"};
    }
    m.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return from;
}

// "BINARY" without a slash is looked up in $PATH, as a shell would; the
// result is only a path to open, the whitelist decides what may run.
std::optional<std::string> find_binary(const std::string& binary) {
  if (binary.find('/') != std::string::npos) return binary;
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr && *path_env != '\0' ? path_env : kDefaultPath;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + binary;
    if (::access(candidate.c_str(), F_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

// The same file by name: both made absolute and lexically normal (the
// script is then opened from the manifest's folder, never by this name).
bool names_same_path(const std::string& a, const std::string& b) {
  std::error_code ec;
  const auto abs_a = std::filesystem::absolute(a, ec).lexically_normal();
  if (ec) return false;
  const auto abs_b = std::filesystem::absolute(b, ec).lexically_normal();
  return !ec && abs_a == abs_b;
}

int exit_code_for_binary_error(const Error& e) {
  if (e.code == Errc::not_found) return kExitNotFound;
  if (e.code == Errc::refused || e.code == Errc::invalid_input) return kExitRefused;
  return kExitOwnFailure;
}

// A config, manifest or whitelist that others could write is refused (126);
// one that is missing or malformed is stockade's own failure (125).
int exit_code_for(const Error& e) {
  return e.code == Errc::refused ? kExitRefused : kExitOwnFailure;
}

int exit_code_for_spawn_error(const Error& e) {
  // The exec step's errno is the program's fault, as in a shell; a granted
  // path that holds a symbolic link (ELOOP) is a refusal too.
  if (e.sys_errno == ENOENT) return kExitNotFound;
  if (e.sys_errno == EACCES || e.sys_errno == ENOEXEC || e.sys_errno == EPERM ||
      e.sys_errno == ELOOP)
    return kExitRefused;
  return kExitOwnFailure;
}

const char* kind_of(sandbox::ExitStatus::Kind kind) {
  using Kind = sandbox::ExitStatus::Kind;
  switch (kind) {
    case Kind::exited: return "exited";
    case Kind::signaled: return "signaled";
    case Kind::seccomp_violation: return "seccomp_violation";
    case Kind::memory_limit: return "memory_limit";
    case Kind::cpu_limit: return "cpu_limit";
    case Kind::file_size_limit: return "file_size_limit";
    case Kind::killed: return "killed";
    default: return "killed";  // a kind added later: still an end stockade caused
  }
}

const char* limit_of(sandbox::ExitStatus::Kind kind) {
  using Kind = sandbox::ExitStatus::Kind;
  if (kind == Kind::memory_limit) return "memory";
  if (kind == Kind::cpu_limit) return "cpu";
  if (kind == Kind::file_size_limit) return "file_size";
  return "";
}

// The human line and the status object say the same: one place decides both.
int report(const AttachedOutcome& outcome, uint32_t wall_seconds, StatusReport& r,
           std::optional<EndLine>& end) {
  const auto& status = outcome.status;
  r.applied = outcome.applied;
  r.timings = outcome.timings;
  r.wall_ms = outcome.wall.count();
  r.output_cut = outcome.output_cut;
  r.signal = status.signal;
  r.syscall = status.syscall;
  r.kind = kind_of(status.kind);
  r.limit = limit_of(status.kind);
  r.exit_code = status.shell_code();
  if (status.kind == sandbox::ExitStatus::Kind::exited) r.code = status.code;
  if (outcome.output_cut) {
    print_line("some of the program's last output was dropped: its reader took nothing for " +
               std::to_string(kOutputDrain.count() / 1000) + " s after the sandbox ended");
  }
  if (outcome.interrupted_by != 0) {
    r.kind = "interrupted";
    r.interrupted_by = outcome.interrupted_by;
    r.exit_code = 128 + outcome.interrupted_by;
    r.message = std::string("interrupted by SIG") + sigabbrev_np(outcome.interrupted_by) +
                "; the sandbox was killed";
  } else if (outcome.timed_out) {
    r.kind = "time_limit";
    r.limit = "time";
    r.exit_code = kExitDeadline;  // DESIGN.md: 124 a deadline, as timeout(1)
    r.message = "time limit of " + std::to_string(wall_seconds) + " s exceeded; the sandbox was killed";
  } else if (status.kind != sandbox::ExitStatus::Kind::exited) {
    r.message = status.describe();
  } else {
    r.message = status.describe();
    return r.exit_code;  // a normal exit prints nothing
  }
  end = EndLine{r.message, outcome.stderr_is_terminal, outcome.stderr_at_line_start};
  return r.exit_code;
}

// Reports an end before the sandbox ran: the line(s) on stderr, the same
// in the status object.
int refuse(StatusReport& r, int code, const std::vector<std::string>& lines) {
  r.exit_code = code;
  r.kind = code == kExitRefused ? "refused" : code == kExitNotFound ? "not_found" : "failed";
  for (const auto& line : lines) {
    print_line(line);
    r.message += (r.message.empty() ? "" : "; ") + line;
  }
  return code;
}

int refuse(StatusReport& r, int code, const std::string& line) {
  return refuse(r, code, std::vector<std::string>{line});
}

std::vector<std::string> messages_of(const Problems& problems) {
  std::vector<std::string> lines;
  for (const auto& p : problems) lines.push_back(p.message());
  return lines;
}

// Everything after the options: load, check, run, report. Every end fills
// `r` for the status channel.
int jail(const JailOptions& o, const std::vector<std::string>& operands, StatusReport& r,
         std::optional<EndLine>& end) {
  const std::string& binary_arg = operands.front();

  Config config;
  if (o.config) {
    Problems problems;
    auto loaded = load_config(*o.config, &problems);
    if (!loaded) return refuse(r, exit_code_for(loaded.error()), messages_of(problems));
    config = std::move(*loaded);
  }

  Manifest manifest;
  if (o.manifest) {
    Problems problems;
    auto loaded = load_manifest(*o.manifest, &problems);
    if (!loaded) return refuse(r, exit_code_for(loaded.error()), messages_of(problems));
    manifest = std::move(*loaded);
  } else {
    manifest.name = std::filesystem::path(binary_arg).filename().string();
  }
  auto overridden = apply_overrides(o, manifest);
  if (!overridden) {
    return refuse(r, kExitOwnFailure, overridden.error().message() + " (see stockade jail --help)");
  }

  auto binary_path = find_binary(binary_arg);
  if (!binary_path) return refuse(r, kExitNotFound, binary_arg + ": not found in PATH");

  // Opened and checked now, hashed while the sandbox is built around it
  // (sandbox::spawn with a verifier); it runs only once verified.
  std::optional<Whitelist> whitelist;
  if (!o.dev) {
    auto loaded = Whitelist::load(*o.whitelist);
    if (!loaded) return refuse(r, exit_code_for(loaded.error()), loaded.error().message());
    whitelist = std::move(*loaded);
  }
  // An interpreted manifest runs its own script: BINARY must name it, so
  // the command line cannot run another file under the manifest's pins.
  if (!manifest.interpreter.empty() && !names_same_path(*binary_path, endpoint_path(manifest))) {
    return refuse(r, kExitRefused,
                  *o.manifest + " runs the script " + endpoint_path(manifest) + " under " +
                      manifest.interpreter + "; give that script as BINARY (-- " +
                      endpoint_path(manifest) + " [ARGS...])");
  }
  const Whitelist* pins = whitelist ? &*whitelist : nullptr;
  // The script and files of an interpreted plugin, sealed and checked before
  // anything starts (VerifiedPluginFiles::unverified warns itself in --dev).
  auto files = verify_interpreted_files(manifest, pins);
  if (!files) return refuse(r, exit_code_for_binary_error(files.error()), files.error().message());
  // The binary, or the interpreter of an interpreted manifest.
  auto binary = manifest.interpreter.empty() ? OpenedBinary::open(*binary_path)
                                             : open_plugin_binary(manifest);
  if (!binary) return refuse(r, exit_code_for_binary_error(binary.error()), binary.error().message());
  std::optional<Error> refusal;  // the verifier's error, which has its own exit code
  sandbox::BinaryVerifier verify = [&](OpenedBinary&& opened) -> Result<VerifiedBinary> {
    // VerifiedBinary::unverified (pins == nullptr) writes the loud warning
    // itself (to fd 2, --quiet or not): one line, not two.
    Result<VerifiedBinary> verified = verify_plugin_binary(std::move(opened), manifest, pins);
    if (!verified) refusal = verified.error();
    return verified;
  };

  LaunchRequest launch;
  launch.argv0 = binary_arg;
  launch.extra_args.assign(operands.begin() + 1, operands.end());
  Problems refusals;
  auto policy = effective_policy(manifest, config.ceilings, config.sandbox, launch, &refusals);
  if (!policy) {
    std::vector<std::string> lines;
    for (const auto& e : refusals) {
      std::string line = e.message();
      // Name the option when the refused value came from the command line.
      for (const auto& [field, option] : *overridden) {
        if (e.where.size() >= field.size() &&
            e.where.compare(e.where.size() - field.size(), field.size(), field) == 0) {
          line += " (set by " + option + ")";
        }
      }
      lines.push_back(line);
    }
    return refuse(r, policy.error().code == Errc::refused ? kExitRefused : kExitOwnFailure, lines);
  }
  if (*files) provide_interpreted_files(**files, *policy);
  r.policy = *policy;
  // The manifest's (or --time-limit's) wall-clock limit, within the
  // operator's ceiling (effective_policy refused anything above it).
  const uint32_t wall_seconds = manifest.resources.max_wall_seconds;
  r.wall_seconds = wall_seconds;

  // Before the sandbox: it may move this process into a leaf of its delegated cgroup.
  if (auto note = sandbox::prepare_cgroups(); note.level == sandbox::CgroupSetupNote::Level::info)
    spdlog::info("{}", note.message);
  else if (note.level == sandbox::CgroupSetupNote::Level::warning)
    spdlog::warn("{}", note.message);
  auto outcome = run_attached(std::move(*binary), verify, *policy, std::chrono::seconds(wall_seconds));
  if (!outcome) {
    return refuse(r, refusal ? exit_code_for_binary_error(*refusal) : exit_code_for_spawn_error(outcome.error()),
                  outcome.error().message());
  }
  return report(*outcome, wall_seconds, r, end);
}

// Restores a signal's disposition when the run is over.
class IgnoredSignal {
 public:
  explicit IgnoredSignal(int signo) : signo_(signo) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    installed_ = ::sigaction(signo, &ignore, &previous_) == 0;
  }
  ~IgnoredSignal() {
    if (installed_) ::sigaction(signo_, &previous_, nullptr);
  }
  IgnoredSignal(const IgnoredSignal&) = delete;
  IgnoredSignal& operator=(const IgnoredSignal&) = delete;

 private:
  int signo_;
  struct sigaction previous_ {};
  bool installed_ = false;
};

}  // namespace

int run_jail(std::span<const std::string> args) {
  JailOptions o;
  OptionParser parser = make_parser(o);
  auto operands = parser.parse(args);
  if (!operands) return usage_error("jail", operands.error().message());
  if (o.help) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  if (o.quiet) spdlog::set_level(spdlog::level::err);
  if (operands->empty()) return usage_error("jail", "missing BINARY");
  if (o.dev == o.whitelist.has_value()) return usage_error("jail", "give exactly one of --whitelist FILE and --dev");
  if (o.status_fd && o.status_file) return usage_error("jail", "give at most one of --status-fd and --status-file");

  // The status channel first: if it cannot be had, nothing runs.
  std::optional<StatusChannel> channel;
  if (o.status_fd || o.status_file) {
    auto opened = o.status_fd ? StatusChannel::use_fd(static_cast<int>(*o.status_fd))
                              : StatusChannel::create_file(*o.status_file);
    if (!opened) {
      print_line(opened.error().message());
      return kExitOwnFailure;
    }
    channel = std::move(*opened);
  }

  // A background job reading the terminal would be stopped by SIGTTIN (and
  // one writing, with `stty tostop`, by SIGTTOU), and a stopped stockade
  // enforces no time limit: reads then fail (EIO, the program's stdin ends)
  // and writes go through instead. The sandbox starts with both at their
  // defaults (its child resets every disposition).
  IgnoredSignal no_ttin(SIGTTIN);
  IgnoredSignal no_ttou(SIGTTOU);

  StatusReport report;
  std::optional<EndLine> end;
  const int code = jail(o, *operands, report, end);
  report.exit_code = code;
  // The status first: a stalled stderr must not cost the operator the truth.
  if (channel) {
    if (auto written = channel->write(status_json(report), std::chrono::seconds(5)); !written) {
      print_line(written.error().message());
    }
  }
  if (end) print_end_line(*end);
  return code;
}

}  // namespace stockade::supervisor
