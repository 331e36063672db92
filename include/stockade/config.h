// The operator's config, stockade.json: what the operator grants (ceilings
// over every plugin's manifest, the sandbox's host ids) and where plugins and
// the whitelist are. docs/operators.md and stockade.json(5) describe the file.
// Installed as <stockade/config.h>; the public header of stockade_config.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
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
  // Largest execute.max_payload_mb a manifest may ask for; 0: none (large
  // payloads hand the plugin memfds, which it can map executable).
  uint32_t max_payload_mb = 0;
  std::vector<std::string> allowed_readonly_paths{};  // prefixes manifests may bind read-only
  std::vector<std::string> allowed_syscalls{};        // extra syscalls manifests may ask for
};

// The host ids the sandbox's (non-root) user maps to when the supervisor runs
// as root. Never 0: the plugin would be root on the host's files.
struct SandboxIdentity {
  uid_t uid = 65534;
  gid_t gid = 65534;
};

// The control socket of `stockade serve` (key "control").
struct ControlSocket {
  std::string socket = "/run/stockade/control.sock";  // absolute path of the AF_UNIX socket
  uint32_t mode = 0660;       // its permission bits ("0660"); never world-writable
  std::string group{};        // its group: a name or a decimal gid; empty: the daemon's own
  std::optional<gid_t> group_id{};  // `group` as a gid, resolved by load_config
};

// The HTTP endpoint of `stockade serve` that Prometheus scrapes (key "metrics").
struct MetricsEndpoint {
  // "127.0.0.1:PORT", "[::1]:PORT" (loopback only) or "unix:/path"; empty: no endpoint
  // (the metrics are still read through the control socket: `stockade metrics`).
  std::string listen{};
};

// One entry of the access list (key "clients"): who it matches, and what it
// grants. Names are resolved to ids by load_config, once a load or reload, so
// that matching a peer is pure and never waits on the user database; an entry
// whose id is unknown matches nobody.
struct ClientRule {
  enum class Match { uid, gid, user, group };
  Match match = Match::uid;
  std::string name{};                  // the user or group name as written (user, group)
  std::optional<uint32_t> id{};        // the uid or gid: as written, or resolved from `name`
  std::vector<std::string> plugins{};  // plugin names it may call; "*" alone: every plugin
  bool admin = false;                  // may also reload, restart and read metrics
};

// Default of Config::max_plugins: far above the 10,000 plugins a host is
// sized for, low enough that a mistaken plugins_dir (/) fails fast.
inline constexpr uint32_t kDefaultMaxPlugins = 100000;
inline constexpr uint32_t kMaxPluginsRange = 1000000;

struct Config {
  std::string plugins_dir{};  // one folder per plugin, each with a plugin.json
  std::string whitelist{};    // the whitelist file
  // Folders plugins_dir may hold (key "max_plugins", 1..1,000,000); one more
  // and the supervisor refuses to start (or to reload), naming this key.
  uint32_t max_plugins = kDefaultMaxPlugins;
  // Key "cache_digests": a launch of a binary unchanged since it was hashed
  // takes its digest from the supervisor's cache (SupervisorOptions).
  bool cache_digests = true;
  // Key "spin_wait": threads waiting for an answer spin briefly before they
  // sleep (SupervisorOptions).
  bool spin_wait = true;
  Ceilings ceilings{};
  SandboxIdentity sandbox{};
  ControlSocket control{};
  std::vector<ClientRule> clients{};  // empty: nobody may use the control socket
  MetricsEndpoint metrics{};
  // Plugins `stockade serve` starts at once, not at their first call (as a
  // manifest's "autostart": true does); each must be in plugins_dir.
  std::vector<std::string> autostart{};

  std::string source{};  // the file it was read from, for messages
};

// Reads, parses and validates the config file at `path`: strict JSON (unknown
// keys, duplicates and out-of-range values are errors naming the key), after
// checking that nobody but root or our own user can write it or a folder above
// it. Relative plugins_dir and whitelist are resolved against its folder; the
// user and group names of "control" and "clients" against the host's user
// database (a name it does not know is a problem).
Result<Config> load_config(const std::string& path);

}  // namespace stockade::supervisor
