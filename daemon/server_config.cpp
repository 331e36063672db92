#include "daemon/server_config.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "config/manifest.h"

namespace stockade::daemon {

namespace fs = std::filesystem;

supervisor::SupervisorOptions supervisor_options(const supervisor::Config& config,
                                                 supervisor::LogSink log) {
  supervisor::SupervisorOptions o;
  o.plugins_dir = config.plugins_dir;
  o.whitelist = config.whitelist;
  o.max_plugin_folders = config.max_plugins;
  o.cache_digests = config.cache_digests;
  o.spin_wait = config.spin_wait;
  o.ceilings = config.ceilings;
  o.identity = config.sandbox;
  o.log = std::move(log);
  return o;
}

supervisor::Problems check_autostart(const supervisor::Config& config) {
  supervisor::Problems problems;
  for (size_t i = 0; i < config.autostart.size(); ++i) {
    const std::string& name = config.autostart[i];
    std::error_code ec;
    // The registry's rule: a plugin is a folder named after it holding a plugin.json.
    if (!fs::is_regular_file(fs::path(config.plugins_dir) / name / "plugin.json", ec)) {
      problems.push_back(Error{Errc::invalid_input,
                               "no plugin \"" + name + "\" in plugins_dir " + config.plugins_dir +
                                   " (no " + name + "/plugin.json there)",
                               config.source + ": autostart[" + std::to_string(i) + "]"});
    }
  }
  return problems;
}

std::vector<std::string> plugins_to_autostart(const supervisor::Config& config,
                                              const std::vector<std::string>& discovered) {
  std::vector<std::string> names = config.autostart;
  for (const auto& name : discovered) {
    // The supervisor has loaded and checked this manifest already; reading it
    // again here only asks one key. A manifest that fails now starts on demand.
    auto manifest = supervisor::load_manifest((fs::path(config.plugins_dir) / name / "plugin.json").string());
    if (manifest && manifest->autostart) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace stockade::daemon
