// The operator's config, stockade.json: what the operator grants (ceilings
// over every plugin's manifest, the sandbox's host ids) and where plugins and
// the whitelist are. docs/operators.md and stockade.json(5) describe the file.
// Installed as <stockade/config.h>; the public header of stockade_config.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stockade/result.h"

namespace stockade::supervisor {

// The most any plugin may get. Defaults grant the manifest defaults with room
// to spare, and nothing that widens the sandbox (network, paths, syscalls).
struct Ceilings {
  uint32_t max_memory_mb = 1024;
  double max_cpu_cores = 2.0;
  uint32_t max_cpu_seconds = 3600;
  uint32_t max_processes = 256;
  uint32_t max_open_files = 1024;
  uint32_t max_file_size_mb = 1024;
  uint32_t max_tmpfs_mb = 256;
  uint32_t max_wall_seconds = 3600;                 // resources.max_wall_seconds (jail)
  bool allow_network = false;                       // may a manifest ask for "host"?
  bool allow_exec = false;                          // may a manifest set sandbox.allow_exec?
  bool allow_jit = false;                           // may a manifest set sandbox.allow_jit?
  std::vector<std::string> allowed_readonly_paths{};  // prefixes manifests may bind read-only
  std::vector<std::string> allowed_syscalls{};        // extra syscalls manifests may ask for
};

// The host ids the sandbox's (non-root) user maps to when the supervisor runs
// as root. Never 0: the plugin would be root on the host's files.
struct SandboxIdentity {
  uid_t uid = 65534;
  gid_t gid = 65534;
};

struct Config {
  std::string plugins_dir{};  // one folder per plugin, each with a plugin.json
  std::string whitelist{};    // the whitelist file
  Ceilings ceilings{};
  SandboxIdentity sandbox{};

  std::string source{};  // the file it was read from, for messages
};

// Reads, parses and validates the config file at `path`: strict JSON (unknown
// keys, duplicates and out-of-range values are errors naming the key), after
// checking that nobody but root or our own user can write it or a folder above
// it. Relative plugins_dir and whitelist are resolved against its folder.
Result<Config> load_config(const std::string& path);

}  // namespace stockade::supervisor
