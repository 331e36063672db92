// One launch of a plugin: verify its binary (every launch: the file on disk
// may have changed since the last), cap its manifest by the operator's
// ceilings, make the socketpair and the output pipes, spawn it sandboxed.
// Blocking, no event loop: plugin_process.cpp drives the result.
#pragma once

#include <string>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "sandbox/sandbox.h"
#include "config/config.h"
#include "config/manifest.h"

namespace stockade {
class Whitelist;
}

namespace stockade::supervisor {

struct LaunchSettings {
  // nullptr = development mode: binaries run unverified (loudly logged).
  const Whitelist* whitelist = nullptr;
  Ceilings ceilings;
  SandboxIdentity identity;
};

struct LaunchedPlugin {
  sandbox::Child child;
  UniqueFd socket;      // our end of the socketpair; the plugin's is its fd 3
  UniqueFd output_pipe; // read end of the plugin's stdout and stderr (one pipe)
  std::string cookie;   // what the plugin's Hello must echo
};

// Errors keep their class: not_found (no binary), refused (not whitelisted,
// beyond a ceiling), io/internal (sandbox setup; the message names the step).
Result<LaunchedPlugin> launch_plugin(const Manifest& manifest, const LaunchSettings& settings);

// A fresh random cookie (getrandom), 32 hex characters.
Result<std::string> make_cookie();

}  // namespace stockade::supervisor
