// The plugin manifest (plugin.json): what a plugin *requests*. Plain structs
// with the documented defaults written in their declarations
// (docs/plugin-authors.md ("The manifest") and plugin.json(5) are the reference for every field).
//
// Three separate steps: parse_manifest (JSON -> structs: types, ranges,
// lengths, unknown keys), validate_manifest (grammar of names, paths and
// syscall names; relations between fields) and, elsewhere, effective_policy
// (the request capped by the operator's ceilings).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/result.h"
#include "sandbox/policy.h"
#include "config/strict_json.h"

namespace stockade::supervisor {

// Bounds on manifest text, checked before anything is stored.
inline constexpr size_t kMaxManifestBytes = 1024 * 1024;
inline constexpr size_t kMaxManifestListItems = 64;   // capabilities, paths, syscalls
inline constexpr size_t kMaxManifestArgs = 256;
inline constexpr size_t kMaxManifestEnv = 128;
inline constexpr size_t kMaxManifestMetadata = 64;
inline constexpr size_t kMaxPathBytes = 4096;
inline constexpr size_t kMaxArgBytes = 4096;
inline constexpr size_t kMaxManifestFiles = 256;  // "files" entries (folders are walked: plugin_files.h)

// Field ranges, shared with the operator's ceilings (config.h).
inline constexpr uint32_t kMaxMemoryMbRange = 65536;
inline constexpr double kMinCpuCores = 0.01;
inline constexpr double kMaxCpuCoresRange = 1024;
inline constexpr uint32_t kMaxCpuSecondsRange = 7 * 24 * 3600;
inline constexpr uint32_t kMaxWallSecondsRange = 7 * 24 * 3600;
inline constexpr uint32_t kMaxProcessesRange = 65536;
inline constexpr uint32_t kMinOpenFiles = 8;  // stdio, the socket, the loader's own opens
inline constexpr uint32_t kMaxOpenFilesRange = 1048576;
inline constexpr uint32_t kMaxFileSizeMbRange = 1048576;
inline constexpr uint32_t kMaxTmpfsMbRange = 65536;
inline constexpr uint32_t kMaxPayloadMbRange = 65536;  // 64 GiB

// Resources the plugin asks for (sandbox limits).
struct ResourceRequest {
  uint32_t max_memory_mb = 256;     // address space (RLIMIT_AS) and cgroup memory
  double max_cpu_cores = 1.0;       // CPU affinity and cgroup CPU quota
  uint32_t max_cpu_seconds = 600;   // RLIMIT_CPU: total CPU time over the process's life
  uint32_t max_processes = 32;      // pids in the sandbox (cgroup pids or RLIMIT_NPROC)
  uint32_t max_open_files = 256;    // RLIMIT_NOFILE
  uint32_t max_file_size_mb = 16;   // RLIMIT_FSIZE: largest file it may write (in /tmp)
  // Wall-clock limit of a `stockade jail` run (its --time-limit); the
  // runtime's long-lived plugins have per-call deadlines instead.
  uint32_t max_wall_seconds = 600;
};

// The sandbox shape the plugin asks for, beyond the default profile.
struct SandboxRequest {
  std::vector<std::string> readonly_paths;  // absolute host paths, bound read-only
  // Writable host paths are never granted (only the private /tmp is writable);
  // the key exists so that asking for one is refused by name, not as "unknown".
  std::vector<std::string> writable_paths;
  uint32_t tmpfs_mb = 16;                   // size of the private, writable /tmp
  sandbox::Network network = sandbox::Network::none;
  std::vector<std::string> extra_syscalls;  // beyond the default seccomp allowlist
  bool allow_exec = false;  // may run programs other than the pinned binary (sandbox::Policy)
  bool allow_jit = false;   // may map writable+executable or anonymous executable memory
};

struct ExecuteSettings {
  uint32_t timeout_ms = 30000;    // default deadline of one Execute call
  uint32_t max_concurrency = 16;  // Execute calls in flight at once
  bool idempotent = false;        // may a call that reached the plugin be retried?
  uint32_t max_frame_kb = 4096;   // largest wire frame either way (4 MiB)
  // Largest payload either way, carried in a sealed memfd beyond the frame
  // (PROTOCOL.md, "Large payloads"); 0: payloads travel in frames only.
  uint32_t max_payload_mb = 0;
};

struct RetrySettings {
  uint32_t max_attempts = 3;           // 1 = never retry
  uint32_t initial_backoff_ms = 100;
  uint32_t max_backoff_ms = 5000;
  double multiplier = 2.0;
  uint32_t budget_percent = 20;        // retries allowed, as a share of recent calls
};

struct CircuitBreakerSettings {
  uint32_t failure_threshold = 5;  // consecutive plugin failures that open it
  uint32_t open_ms = 30000;        // how long it stays open before probing
  uint32_t half_open_probes = 1;   // successful probes that close it again
};

struct HealthSettings {
  uint32_t interval_ms = 10000;
  uint32_t timeout_ms = 2000;      // must be below interval_ms
  uint32_t failure_threshold = 3;  // failed checks in a row that restart the plugin
};

struct RestartSettings {
  uint32_t max_restarts = 5;   // within window_ms; one more parks the plugin as failed
  uint32_t window_ms = 60000;
  uint32_t backoff_ms = 1000;  // first restart delay, doubled each time up to window_ms
};

struct Manifest {
  std::string name;          // required; the whitelist name; [A-Za-z0-9._-], 1..128
  std::string version;       // free text, e.g. "1.2.0"
  std::string description;
  std::string author;
  std::vector<std::string> capabilities;
  std::string transport = "subprocess";  // the only transport
  // Binary path relative to the manifest's folder; empty means "./<name>".
  // Absolute paths and ".." components are refused (see endpoint_path()).
  std::string endpoint;
  // An interpreted plugin: the interpreter's absolute path ("/usr/bin/python3");
  // `endpoint` is then its script and is required. Empty: `endpoint` is a binary.
  std::string interpreter;
  // The interpreted plugin's other files and folders (relative to the
  // manifest's folder) that the script loads; each is pinned and provided,
  // sealed, at its relative path beside the script inside the sandbox.
  std::vector<std::string> files;
  std::vector<std::string> args;             // argv[1..]; after the script for an interpreter
  std::map<std::string, std::string> env;    // the plugin's whole environment
  ResourceRequest resources;
  SandboxRequest sandbox;
  ExecuteSettings execute;
  RetrySettings retry;
  CircuitBreakerSettings circuit_breaker;
  HealthSettings health;
  RestartSettings restart;
  std::map<std::string, std::string> metadata;  // free-form strings for hosts
  bool autostart = false;  // `stockade serve` starts it at once, not at its first call

  std::string source;  // the file (or label) it was read from, for messages
  std::string folder;  // the manifest's folder; endpoint is relative to it
};

// JSON text -> Manifest. Every problem is appended to `problems` (when given);
// the Error returned is the first one.
Result<Manifest> parse_manifest(std::string_view text, std::string_view source,
                                Problems* problems = nullptr);

// Grammar of name, env keys, paths, syscall names; relations between fields
// (backoffs, health timeout below interval).
Status validate_manifest(const Manifest& manifest, Problems* problems = nullptr);

// Reads (at most kMaxManifestBytes), parses and validates `path`; sets
// `source` to the path and `folder` to its directory.
Result<Manifest> load_manifest(const std::string& path, Problems* problems = nullptr);

// The endpoint's path on the host: folder + endpoint (or "./<name>").
std::string endpoint_path(const Manifest& manifest);

// Where an interpreted plugin's script and files appear inside the sandbox:
// one read-only folder holding their sealed copies at their relative paths.
inline constexpr const char* kPluginFilesInside = "/run/stockade/app";

// The interpreted plugin's argv[0..], without the manifest's args: the
// interpreter's path, "-I" for Python (isolated: no PYTHON* variables, no
// user site, the script's folder not on sys.path), then the script inside
// the sandbox. The manifest's args follow the script, so none can be an
// interpreter option.
std::vector<std::string> interpreter_argv(const Manifest& manifest);

}  // namespace stockade::supervisor
