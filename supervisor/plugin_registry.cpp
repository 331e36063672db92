#include "supervisor/plugin_registry.h"

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "base/unique_fd.h"
#include "whitelist/sha256.h"
#include "whitelist/trust_path.h"

namespace stockade::supervisor {

namespace {

// The manifest's bytes, hashed (for reload's comparison); "" if unreadable.
std::string hash_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return {};
  auto digest = sha256_of_fd(fd.get());
  return digest ? to_hex(*digest) : std::string();
}

}  // namespace

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
                       " folders in the plugins directory (max_plugins in the operator's config, "
                       "SupervisorOptions::max_plugin_folders for a host): check the path, or raise the bound",
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
    // Hashed before and after it is parsed: equal hashes say the bytes
    // parsed are the bytes hashed (a reload compares them; an edit made
    // while we read would otherwise leave a stale manifest running).
    const std::string before = hash_file(manifest_path);
    auto manifest = load_manifest(manifest_path, &problems);
    if (!manifest) {
      for (auto& p : problems) registry.problems_.push_back(std::move(p));
      continue;
    }
    const std::string after = hash_file(manifest_path);
    if (before.empty() || before != after) {
      registry.problems_.push_back(Error{Errc::io,
                                         "changed while it was being read (or cannot be read again): "
                                         "read it again (reload) once the edit is over",
                                         manifest_path});
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
    registry.fingerprints_.emplace(manifest->name, after);
    registry.plugins_.emplace(manifest->name, std::move(*manifest));
  }
  return registry;
}

std::string PluginRegistry::fingerprint(const std::string& name) const {
  auto it = fingerprints_.find(name);
  return it == fingerprints_.end() ? std::string() : it->second;
}

const Manifest* PluginRegistry::find(const std::string& name) const {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : &it->second;
}

}  // namespace stockade::supervisor
