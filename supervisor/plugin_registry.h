// Plugin discovery: a plugins directory holds one folder per plugin, named
// after it, with its plugin.json. A folder whose manifest is broken is
// reported and skipped; the others still load.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "stockade/result.h"
#include "config/manifest.h"
#include "stockade/supervisor.h"

namespace stockade::supervisor {

// Default bound on folders scanned (SupervisorOptions::max_plugin_folders):
// the directory comes from the operator, but a mistaken path (/) must not
// make discovery read the whole disk. Far above any real host (10,000
// plugins fit), so it is a guard, not a product limit.
class PluginRegistry {
 public:
  // Scans `dir`. Fails only if `dir` cannot be read (not_found or io), or
  // holds more than `max_folders` folders (limit); per-plugin problems go
  // to problems().
  static Result<PluginRegistry> discover(const std::string& dir,
                                         size_t max_folders = kDefaultMaxPluginFolders);

  // The manifest of `name`, or nullptr.
  const Manifest* find(const std::string& name) const;
  // What reload compares (reload_plan.cpp): the sha256 of plugin.json's
  // bytes as parsed, in hex; "" for an unknown name.
  std::string fingerprint(const std::string& name) const;
  const std::map<std::string, Manifest>& plugins() const { return plugins_; }
  // Folders that were skipped, each with the reason (bad manifest, a name
  // that differs from the folder's).
  const std::vector<Error>& problems() const { return problems_; }

 private:
  std::map<std::string, Manifest> plugins_;
  std::map<std::string, std::string> fingerprints_;
  std::vector<Error> problems_;
};

}  // namespace stockade::supervisor
