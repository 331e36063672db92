// Helpers for the runtime's end-to-end tests: a plugins directory in a temp
// dir holding copies of the example plugins (manifests patchable per test),
// its whitelist, and a Supervisor over it. Plugins run for real, sandboxed.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "stockade/supervisor.h"
#include "tests/support/temp_dir.h"

namespace stockade::testing {

// <build>/examples/plugins (STOCKADE_EXAMPLE_PLUGINS_DIR at build time).
std::string example_plugins_dir();

class PluginsDir {
 public:
  PluginsDir();
  // Copies the example plugin `name`; `patch` may edit its manifest first.
  void add(const std::string& name, const std::function<void(nlohmann::json&)>& patch = {});
  // A plugin folder named `name` whose binary is a copy of `binary` (any
  // program: e.g. one that never speaks the protocol).
  void add_binary(const std::string& name, const std::string& binary, nlohmann::json manifest);
  // Removes the plugin folder `name` (and its binary from the whitelist).
  void remove(const std::string& name);
  // Writes the whitelist of every binary added so far; returns its path.
  std::string write_whitelist(bool include_all = true) const;
  const std::string& path() const { return plugins_; }
  std::string whitelist_path() const { return dir_.file("whitelist"); }

 private:
  TempDir dir_;
  std::string plugins_;
  std::vector<std::pair<std::string, std::string>> binaries_;  // name, path
};

// A Supervisor over `dir` (whitelisted), with test-friendly defaults.
std::unique_ptr<supervisor::Supervisor> make_supervisor(
    PluginsDir& dir, const std::function<void(supervisor::SupervisorOptions&)>& tweak = {});

// Bytes <-> text.
supervisor::Bytes to_bytes(const std::string& text);
std::string to_text(const supervisor::Bytes& bytes);

// The status of one plugin.
supervisor::PluginStatus status_of(supervisor::Supervisor& sup, const std::string& name);
// Polls `condition` every 10 ms for up to `limit`; true once it holds.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace stockade::testing
