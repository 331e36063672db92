// `stockade check --config FILE`: everything the daemon would refuse at start,
// found before it starts. One line per problem on stdout.
#include <fcntl.h>

#include <algorithm>
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
#include "config/text_file.h"
#include "whitelist/trust_path.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {
namespace {

constexpr int kExitProblems = kExitNo;
// Could not check (usage, the config unreadable): stockade's own failure, as
// in jail and call (this was 2 before the one table, cli/exit_codes.h).
constexpr int kExitCannotCheck = kExitOwnFailure;
constexpr size_t kMaxPluginFolders = 4096;

// The loaders refuse a file someone else could change (Errc::refused, from
// whitelist/trust_path.h) before parsing it. check lists every problem, so
// it reads such a file anyway, as data only (nothing runs), to go on.
bool refused_as_untrusted(const Result<std::string>& read, const Problems& problems, size_t first) {
  return read.ok() && problems.size() == first + 1 && problems[first].code == Errc::refused;
}

std::optional<Config> config_despite_trust(const std::string& path, Problems& problems) {
  const size_t first = problems.size();
  auto config = load_config(path, &problems);
  if (config) return std::move(*config);
  auto text = read_text_file(path, kMaxConfigBytes);
  if (!refused_as_untrusted(text, problems, first)) return std::nullopt;
  auto parsed = parse_config(*text, path, &problems);
  if (!parsed) return std::nullopt;
  // As load_config: relative paths hang below the config's folder.
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  for (std::string* p : {&parsed->plugins_dir, &parsed->whitelist}) {
    if (!p->empty() && p->front() != '/') *p = (folder / *p).lexically_normal().string();
  }
  if (!validate_config(*parsed, &problems)) return std::nullopt;
  return std::move(*parsed);
}

std::optional<Manifest> manifest_despite_trust(const std::string& path, Problems& problems) {
  const size_t first = problems.size();
  auto manifest = load_manifest(path, &problems);
  if (manifest) return std::move(*manifest);
  auto text = read_text_file(path, kMaxManifestBytes);
  if (!refused_as_untrusted(text, problems, first)) return std::nullopt;
  auto parsed = parse_manifest(*text, path, &problems);
  if (!parsed) return std::nullopt;
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  parsed->folder = folder.empty() ? "." : folder.string();
  if (!validate_manifest(*parsed, &problems)) return std::nullopt;
  return std::move(*parsed);
}

// The endpoint as the runtime would take it: opened, checked, and (with a
// whitelist) hashed and compared; without one, its owner and modes still.
Status check_endpoint(const std::string& path, const std::string& name,
                      const std::optional<Whitelist>& whitelist) {
  if (whitelist) {
    auto binary = VerifiedBinary::verify(path, name, *whitelist);
    if (!binary) return binary.error();
    return {};
  }
  auto opened = OpenedBinary::open(path);
  if (!opened) return opened.error();
  return check_trusted(opened->fd(), path, "binary");
}

// An interpreted plugin as the runtime would take it: the script and files
// walked, checked and sealed (and compared, with a whitelist), the
// interpreter opened and checked (and hashed).
Status check_interpreted(const Manifest& manifest, const std::optional<Whitelist>& whitelist) {
  if (whitelist) {
    auto files = verify_interpreted_files(manifest, &*whitelist);
    if (!files) return files.error();
  } else {
    auto sealed = seal_plugin_files(PluginFileSpec{manifest.folder, manifest.endpoint, manifest.files});
    if (!sealed) return sealed.error();
  }
  auto interpreter = open_plugin_binary(manifest);
  if (!interpreter) return interpreter.error();
  if (!whitelist) return check_trusted(interpreter->fd(), manifest.interpreter, "binary");
  auto verified = verify_plugin_binary(std::move(*interpreter), manifest, &*whitelist);
  if (!verified) return verified.error();
  return {};
}

// Checks one plugin folder; appends every problem found.
void check_plugin(const std::filesystem::path& folder, const Config& config,
                  const std::optional<Whitelist>& whitelist,
                  std::map<std::string, std::string>& names, Problems& problems) {
  std::string manifest_path = (folder / "plugin.json").string();
  if (!std::filesystem::exists(folder / "plugin.json")) {
    problems.push_back(Error{Errc::not_found, "no plugin.json in this plugin folder", folder.string()});
    return;
  }
  auto manifest = manifest_despite_trust(manifest_path, problems);
  if (!manifest) return;
  if (auto [it, fresh] = names.emplace(manifest->name, manifest_path); !fresh) {
    problems.push_back(Error{Errc::invalid_input,
                             "plugin name \"" + manifest->name + "\" is also used by " + it->second,
                             manifest_path + ": name"});
  }
  (void)effective_policy(*manifest, config.ceilings, config.sandbox, LaunchRequest{}, &problems);
  if (!manifest->interpreter.empty()) {
    if (auto interpreted = check_interpreted(*manifest, whitelist); !interpreted) {
      Error e = interpreted.error();
      e.where = manifest_path + ": " + e.where;
      problems.push_back(std::move(e));
    }
    return;
  }
  if (auto endpoint = check_endpoint(endpoint_path(*manifest), manifest->name, whitelist); !endpoint) {
    Error e = endpoint.error();
    e.where = manifest_path + ": endpoint: " + e.where;
    problems.push_back(std::move(e));
  }
}

}  // namespace

int run_check(std::span<const std::string> args) {
  bool help = false, quiet = false;
  std::optional<std::string> config_path;
  OptionParser parser("stockade check --config FILE",
                      "Validates an operator config, its whitelist and every plugin folder in its\n"
                      "plugins_dir (manifest, policy against the ceilings, pinned endpoint), and\n"
                      "that none of them, nor a folder above them, can be changed by anyone but\n"
                      "root and the user stockade runs as.");
  parser.text("--config", "FILE", "the operator config (JSON)", config_path);
  parser.flag("--quiet", "print only the problems: no \"ok\" line, no info or warning lines",
              quiet);
  parser.alias('q', "--quiet");
  parser.flag("--help", "show this help", help);
  parser.epilog(
      "Prints one line per problem on stdout, or \"ok: N plugins checked\".\n\n"
      "exit codes (stockade help exit-codes has them all):\n" +
      exit_code_table(kForCheck));
  auto operands = parser.parse(args);
  if (!operands || !operands->empty() || (!help && !config_path)) {
    std::string why;
    if (!operands) why = operands.error().message();
    else if (!operands->empty()) why = "unexpected operand " + operands->front();
    else why = "missing --config FILE";
    std::fprintf(stderr, "stockade check: %s (see stockade check --help)\n", why.c_str());
    return kExitCannotCheck;
  }
  if (help) {
    std::fputs(parser.help().c_str(), stdout);
    return 0;
  }
  if (quiet) spdlog::set_level(spdlog::level::err);

  Problems problems;
  auto config = config_despite_trust(*config_path, problems);
  if (!config) {
    for (const auto& p : problems) std::printf("%s\n", p.message().c_str());
    bool unreadable = problems.size() == 1 && problems.front().where == *config_path &&
                      problems.front().code != Errc::refused;
    return unreadable ? kExitCannotCheck : kExitProblems;
  }

  std::optional<Whitelist> whitelist;
  if (config->whitelist.empty()) {
    problems.push_back(Error{Errc::invalid_input, "missing required key", config->source + ": whitelist"});
  } else if (auto loaded = Whitelist::load(config->whitelist); !loaded) {
    problems.push_back(loaded.error());
  } else {
    whitelist = std::move(*loaded);
  }

  size_t plugins = 0;
  if (config->plugins_dir.empty()) {
    problems.push_back(Error{Errc::invalid_input, "missing required key", config->source + ": plugins_dir"});
  } else {
    if (auto trusted = open_trusted(config->plugins_dir, O_PATH | O_DIRECTORY, "plugins folder");
        !trusted && trusted.error().code == Errc::refused) {
      problems.push_back(trusted.error());
    }
    std::error_code ec;
    std::vector<std::filesystem::path> folders;
    for (const auto& entry : std::filesystem::directory_iterator(config->plugins_dir, ec)) {
      if (entry.is_directory() && folders.size() < kMaxPluginFolders) folders.push_back(entry.path());
    }
    if (ec) {
      problems.push_back(Error{Errc::io, "cannot list plugins_dir", config->plugins_dir, ec.value()});
    }
    std::sort(folders.begin(), folders.end());
    std::map<std::string, std::string> names;
    for (const auto& folder : folders) check_plugin(folder, *config, whitelist, names, problems);
    plugins = folders.size();
  }

  for (const auto& p : problems) std::printf("%s\n", p.message().c_str());
  if (!problems.empty()) return kExitProblems;
  if (quiet) return kExitOk;
  std::printf("ok: %zu plugin%s checked\n", plugins, plugins == 1 ? "" : "s");
  return 0;
}

}  // namespace stockade::supervisor
