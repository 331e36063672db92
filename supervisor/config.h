// The operator's supervisor config: what the operator *grants*. Manifests
// request; effective_policy() caps each request by these ceilings. Strict JSON
// like the manifest (docs/operators.md, "Operator config", and stockade.json(5)).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "supervisor/strict_json.h"

namespace stockade::supervisor {

inline constexpr size_t kMaxConfigBytes = 1024 * 1024;
inline constexpr size_t kMaxConfigListItems = 256;

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
  std::vector<std::string> allowed_readonly_paths;  // prefixes manifests may bind read-only
  std::vector<std::string> allowed_syscalls;        // extra syscalls manifests may ask for
};

// The host ids the sandbox's (non-root) user maps to when the supervisor runs
// as root. Never 0: the plugin would be root on the host's files.
struct SandboxIdentity {
  uid_t uid = 65534;
  gid_t gid = 65534;
};

struct Config {
  std::string plugins_dir;  // one folder per plugin, each with a plugin.json
  std::string whitelist;    // the whitelist file
  Ceilings ceilings;
  SandboxIdentity sandbox;

  std::string source;  // the file it was read from, for messages
};

// JSON text -> Config (types, ranges, unknown keys). Problems are appended to
// `problems` when given; the Error returned is the first.
Result<Config> parse_config(std::string_view text, std::string_view source,
                            Problems* problems = nullptr);

// Grammar and meaning: absolute normalized prefixes, syscall names that can be
// granted at all, non-root ids.
Status validate_config(const Config& config, Problems* problems = nullptr);

// Reads, parses and validates `path`. Relative plugins_dir and whitelist are
// resolved against the config file's folder.
Result<Config> load_config(const std::string& path, Problems* problems = nullptr);

}  // namespace stockade::supervisor
