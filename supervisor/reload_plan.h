// What a reload changes (Supervisor::reload, reload.cpp): the options it may
// not change, and which plugins are removed, changed or added. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stockade/supervisor.h"
#include "supervisor/plugin_registry.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {

// The name of the first option of `next` that differs from `current` among
// those a reload cannot change (all but plugins_dir, whitelist and
// max_plugin_folders; log and observer are not compared), or nullopt.
std::optional<std::string> unreloadable_change(const SupervisorOptions& current, const SupervisorOptions& next);

// The digests `whitelist` pins under `name`, sorted (hex); empty in
// development mode (whitelist == nullptr) or when it pins none.
std::vector<std::string> pinned_digests(const Whitelist* whitelist, const std::string& name);

struct ReloadPlan {
  std::vector<std::string> removed;  // in the old registry only
  std::vector<std::string> changed;  // manifest bytes, folder or pinned digests differ
  std::vector<std::string> added;    // in the new registry only
};

ReloadPlan plan_reload(const PluginRegistry& before, const Whitelist* before_whitelist,
                       const PluginRegistry& after, const Whitelist* after_whitelist);

}  // namespace stockade::supervisor
