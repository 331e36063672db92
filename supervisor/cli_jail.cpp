// `stockade jail`: one binary in the sandbox its manifest describes, stdio
// attached, no protocol. The operator's and tester's window into the sandbox.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "supervisor/cli_options.h"
#include "supervisor/commands.h"
#include "supervisor/config.h"
#include "supervisor/effective_policy.h"
#include "supervisor/manifest.h"
#include "supervisor/name_rules.h"
#include "supervisor/run_attached.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {
namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

struct JailOptions {
  bool help = false;
  bool dev = false;
  std::optional<std::string> manifest;
  std::optional<std::string> whitelist;
  std::optional<std::string> config;
  std::optional<uint32_t> time_limit;
  std::optional<uint32_t> memory_mb, cpu_cores, cpu_seconds, processes, open_files, file_size_mb,
      tmp_mb;
  std::optional<std::string> network;
  std::vector<std::string> readonly_paths;
  std::vector<std::string> syscalls;
  std::vector<std::string> env;
};

constexpr const char* kEpilog =
    "BINARY is a path, or a name looked up in $PATH. It must be pinned in the whitelist\n"
    "under the manifest's name, or under its own base name when there is no manifest.\n"
    "The limit options replace the manifest's requests; the operator's ceilings\n"
    "(--config, or the built-in defaults) still cap them. Without --manifest the\n"
    "documented manifest defaults apply (README.md, section \"Plugin manifest and operator config\").\n"
    "\n"
    "exit codes: the program's own code; 128+N if signal N ended it; 125 stockade's\n"
    "own failure (usage, bad manifest or config, sandbox setup); 126 refused (not\n"
    "whitelisted, not executable, a request beyond a ceiling); 127 BINARY not found.\n"
    "An abnormal end prints one line on stderr with the reason (seccomp violation and\n"
    "the syscall, memory/CPU/file-size/time limit, signal).\n"
    "\n"
    "examples:\n"
    "  stockade jail --whitelist /etc/stockade/whitelist -- /usr/bin/id\n"
    "  stockade jail --manifest plugins/calc/plugin.json --whitelist wl --time-limit 10 \\\n"
    "      -- plugins/calc/calc --selftest\n"
    "  stockade jail --dev --memory-mb 64 --network none -- ./a.out\n";

OptionParser make_parser(JailOptions& o) {
  OptionParser p("stockade jail [--manifest FILE] (--whitelist FILE | --dev) [limits] -- BINARY [ARGS...]",
                 "Runs BINARY in a sandbox with stdin, stdout and stderr attached (no protocol).");
  p.text("--manifest", "FILE", "plugin.json describing the sandbox (strict; defaults if absent)", o.manifest);
  p.text("--whitelist", "FILE", "whitelist BINARY must be pinned in", o.whitelist);
  p.flag("--dev", "development mode: run BINARY unverified (logs a loud warning)", o.dev);
  p.text("--config", "FILE", "operator config whose ceilings apply (default: built-in ceilings)", o.config);
  p.integer("--time-limit", "SECONDS", "kill the sandbox after this wall-clock time", o.time_limit, 1,
            kMaxCpuSecondsRange);
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
  p.flag("--help", "show this help", o.help);
  p.epilog(kEpilog);
  return p;
}

void print_line(const std::string& line) { std::fprintf(stderr, "stockade: %s\n", line.c_str()); }

int usage_error(const std::string& message) {
  print_line(message + " (see stockade jail --help)");
  return kExitOwnFailure;
}

// Applies the command-line limits to the manifest's requests. Returns, per
// manifest field, the option that set it, so a refusal can name the option.
Result<std::map<std::string, std::string>> apply_overrides(const JailOptions& o, Manifest& m) {
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

int exit_code_for_binary_error(const Error& e) {
  if (e.code == Errc::not_found) return kExitNotFound;
  if (e.code == Errc::refused || e.code == Errc::invalid_input) return kExitRefused;
  return kExitOwnFailure;
}

int exit_code_for_spawn_error(const Error& e) {
  // The exec step's errno is the program's fault, as in a shell.
  if (e.sys_errno == ENOENT) return kExitNotFound;
  if (e.sys_errno == EACCES || e.sys_errno == ENOEXEC || e.sys_errno == EPERM) return kExitRefused;
  return kExitOwnFailure;
}

int report(const AttachedOutcome& outcome, std::optional<uint32_t> time_limit) {
  const auto& status = outcome.status;
  if (outcome.interrupted_by != 0) {
    print_line(std::string("interrupted by SIG") + sigabbrev_np(outcome.interrupted_by) +
               "; the sandbox was killed");
    return 128 + outcome.interrupted_by;
  }
  if (outcome.timed_out) {
    print_line("time limit of " + std::to_string(*time_limit) + " s exceeded; the sandbox was killed");
    return status.shell_code();
  }
  if (status.kind != sandbox::ExitStatus::Kind::exited) print_line(status.describe());
  return status.shell_code();
}

}  // namespace

int run_jail(std::span<const std::string> args) {
  JailOptions o;
  OptionParser parser = make_parser(o);
  auto operands = parser.parse(args);
  if (!operands) return usage_error(operands.error().message());
  if (o.help) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  if (operands->empty()) return usage_error("missing BINARY");
  if (o.dev == o.whitelist.has_value()) return usage_error("give exactly one of --whitelist FILE and --dev");
  const std::string& binary_arg = operands->front();

  Config config;
  if (o.config) {
    Problems problems;
    auto loaded = load_config(*o.config, &problems);
    if (!loaded) {
      for (const auto& p : problems) print_line(p.message());
      return kExitOwnFailure;
    }
    config = std::move(*loaded);
  }

  Manifest manifest;
  if (o.manifest) {
    Problems problems;
    auto loaded = load_manifest(*o.manifest, &problems);
    if (!loaded) {
      for (const auto& p : problems) print_line(p.message());
      return kExitOwnFailure;
    }
    manifest = std::move(*loaded);
  } else {
    manifest.name = std::filesystem::path(binary_arg).filename().string();
  }
  auto overridden = apply_overrides(o, manifest);
  if (!overridden) return usage_error(overridden.error().message());

  auto binary_path = find_binary(binary_arg);
  if (!binary_path) {
    print_line(binary_arg + ": not found in PATH");
    return kExitNotFound;
  }

  // Opened and checked now, hashed while the sandbox is built around it
  // (sandbox::spawn with a verifier); it runs only once verified.
  std::optional<Whitelist> whitelist;
  if (!o.dev) {
    auto loaded = Whitelist::load(*o.whitelist);
    if (!loaded) {
      print_line(loaded.error().message());
      return kExitOwnFailure;
    }
    whitelist = std::move(*loaded);
  }
  auto binary = OpenedBinary::open(*binary_path);
  if (!binary) {
    print_line(binary.error().message());
    return exit_code_for_binary_error(binary.error());
  }
  std::optional<Error> refusal;  // the verifier's error, which has its own exit code
  sandbox::BinaryVerifier verify = [&](OpenedBinary&& opened) -> Result<VerifiedBinary> {
    Result<VerifiedBinary> verified = Error{};
    if (whitelist) {
      verified = VerifiedBinary::verify(std::move(opened), manifest.name, *whitelist);
    } else {
      spdlog::warn("DEVELOPMENT MODE: {} runs WITHOUT whitelist verification; never use --dev in "
                   "production", *binary_path);
      verified = VerifiedBinary::unverified(std::move(opened), manifest.name,
                                            VerifiedBinary::DangerousDevelopmentMode{});
    }
    if (!verified) refusal = verified.error();
    return verified;
  };

  LaunchRequest launch;
  launch.argv0 = binary_arg;
  launch.extra_args.assign(operands->begin() + 1, operands->end());
  Problems refusals;
  auto policy = effective_policy(manifest, config.ceilings, config.sandbox, launch, &refusals);
  if (!policy) {
    for (const auto& e : refusals) {
      std::string line = e.message();
      // Name the option when the refused value came from the command line.
      for (const auto& [field, option] : *overridden) {
        if (e.where.size() >= field.size() &&
            e.where.compare(e.where.size() - field.size(), field.size(), field) == 0) {
          line += " (set by " + option + ")";
        }
      }
      print_line(line);
    }
    return policy.error().code == Errc::refused ? kExitRefused : kExitOwnFailure;
  }

  std::optional<std::chrono::seconds> limit;
  if (o.time_limit) limit = std::chrono::seconds(*o.time_limit);
  auto outcome = run_attached(std::move(*binary), verify, *policy, limit);
  if (!outcome) {
    print_line(outcome.error().message());
    return refusal ? exit_code_for_binary_error(*refusal) : exit_code_for_spawn_error(outcome.error());
  }
  return report(*outcome, o.time_limit);
}

}  // namespace stockade::supervisor
