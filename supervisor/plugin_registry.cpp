#include "supervisor/plugin_registry.h"

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "whitelist/trust_path.h"

namespace stockade::supervisor {

Result<PluginRegistry> PluginRegistry::discover(const std::string& dir, size_t max_folders) {
  namespace fs = std::filesystem;
  // Whoever can write the plugins folder can add, remove or swap plugin
  // folders; each folder and manifest below is checked as its manifest loads.
  if (auto trusted = open_trusted(dir, O_PATH | O_DIRECTORY, "plugins folder"); !trusted) {
    return std::move(trusted).error();
  }
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    Errc code = ec == std::errc::no_such_file_or_directory ? Errc::not_found : Errc::io;
    return Error{code, "cannot read the plugins directory: " + ec.message(), dir};
  }
  std::vector<fs::path> folders;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Error{Errc::io, "cannot read the plugins directory: " + ec.message(), dir};
    std::error_code type_ec;
    if (!it->is_directory(type_ec)) continue;
    if (folders.size() == max_folders) {
      return Error{Errc::limit,
                   "more than " + std::to_string(max_folders) +
                       " folders in the plugins directory (SupervisorOptions::max_plugin_folders): "
                       "check the path, or raise the bound",
                   dir};
    }
    folders.push_back(it->path());
  }
  // Directory order is arbitrary; logs and status read better sorted.
  std::sort(folders.begin(), folders.end());

  PluginRegistry registry;
  for (const auto& folder : folders) {
    std::string manifest_path = (folder / "plugin.json").string();
    std::error_code exists_ec;
    if (!fs::exists(manifest_path, exists_ec)) continue;  // not a plugin folder
    Problems problems;
    auto manifest = load_manifest(manifest_path, &problems);
    if (!manifest) {
      for (auto& p : problems) registry.problems_.push_back(std::move(p));
      continue;
    }
    // One name, one folder: the folder name is what operators see on disk.
    if (manifest->name != folder.filename().string()) {
      registry.problems_.push_back(Error{Errc::invalid_input,
                                         "name \"" + manifest->name + "\" differs from its folder \"" +
                                             folder.filename().string() + "\"",
                                         manifest_path + ": name"});
      continue;
    }
    registry.plugins_.emplace(manifest->name, std::move(*manifest));
  }
  return registry;
}

const Manifest* PluginRegistry::find(const std::string& name) const {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : &it->second;
}

}  // namespace stockade::supervisor
