// One launch of a plugin: verify its binary (every launch: the file on disk
// may have changed since the last; its hash is taken from settings.digests
// only where that is sure to be the same bytes), cap its manifest by the operator's
// ceilings, make the socketpair and the output pipes, spawn it sandboxed.
// Blocking, no event loop: plugin_process.cpp drives the result.
#pragma once

#include <memory>
#include <string>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "sandbox/sandbox.h"
#include "config/config.h"
#include "config/manifest.h"

namespace stockade {
class DigestCache;
class Whitelist;
}

namespace stockade::supervisor {

struct LaunchSettings {
  // nullptr = development mode: binaries run unverified (loudly logged).
  const Whitelist* whitelist = nullptr;
  // The digests of binaries hashed by earlier launches (a binary unchanged
  // since is not hashed again); nullptr: every launch hashes.
  std::shared_ptr<DigestCache> digests;
  Ceilings ceilings;
  SandboxIdentity identity;
};

struct LaunchedPlugin {
  sandbox::Child child;
  UniqueFd socket;      // our end of the socketpair; the plugin's is its fd 3
  UniqueFd output_pipe; // read end of the plugin's stdout and stderr (one pipe)
  std::string cookie;   // what the plugin's Hello must echo
  bool digest_cached = false;  // the binary's digest came from settings.digests
};

// Errors keep their class: not_found (no binary), refused (not whitelisted,
// beyond a ceiling), io/internal (sandbox setup; the message names the step).
Result<LaunchedPlugin> launch_plugin(const Manifest& manifest, const LaunchSettings& settings);

// A fresh random cookie (getrandom), 32 hex characters.
Result<std::string> make_cookie();

}  // namespace stockade::supervisor
