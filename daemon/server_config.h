// What the daemon derives from a loaded Config: the Supervisor's options, the
// plugins to start at once, and the checks load_config cannot make because
// they need plugins_dir (an autostart name must be a plugin there).
#pragma once

#include <string>
#include <vector>

#include "config/strict_json.h"
#include "stockade/config.h"
#include "stockade/supervisor.h"

namespace stockade::daemon {

// plugins_dir, whitelist, ceilings and the sandbox's ids from the config; the
// rest at the library's defaults, and `log` for its records.
supervisor::SupervisorOptions supervisor_options(const supervisor::Config& config,
                                                 supervisor::LogSink log);

// One problem per config "autostart" entry that names no plugin folder of
// plugins_dir: "FILE: autostart[1]: no plugin \"x\" in DIR".
supervisor::Problems check_autostart(const supervisor::Config& config);

// The config's "autostart" and every plugin of `discovered` whose manifest
// says "autostart": true, sorted, without duplicates.
std::vector<std::string> plugins_to_autostart(const supervisor::Config& config,
                                              const std::vector<std::string>& discovered);

}  // namespace stockade::daemon
