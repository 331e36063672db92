// Policy: plain data describing one sandbox. No JSON here: supervisor/ turns a
// manifest capped by the operator's ceilings into a Policy.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace stockade::sandbox {

inline constexpr uint64_t kMiB = 1024 * 1024;

struct ResourceLimits {
  uint64_t memory_bytes = 512 * kMiB;   // RLIMIT_AS (+ cgroup memory limit where usable)
  double cpu_cores = 1.0;               // CPU affinity (+ cgroup CPU quota where usable)
  uint64_t cpu_seconds = 60;            // RLIMIT_CPU
  uint32_t processes = 64;              // cgroup pids limit where usable, else RLIMIT_NPROC
  uint32_t open_files = 256;            // RLIMIT_NOFILE
  uint64_t file_size_bytes = 64 * kMiB; // RLIMIT_FSIZE
};

enum class Network {
  none,  // a new, empty network namespace (loopback down)
  host,  // share the host's network namespace (must be granted by the operator)
};

// A sealed file (a memfd the caller owns, open until spawn() returns) that
// the sandbox holds at Policy::provided_folder + "/" + relative: an
// interpreted plugin's script and files (whitelist/plugin_files.h).
struct ProvidedFile {
  std::string relative;  // normalized, relative, no ".." (pinned_label.h's grammar)
  int fd = -1;
  uint64_t size = 0;     // its length: the copy inside must have as many bytes
};

struct Policy {
  // argv[0] is what the plugin sees as its name; the binary run is always the
  // VerifiedBinary's fd, never a path.
  std::vector<std::string> argv;
  // The whole environment, "KEY=VALUE". Nothing of the supervisor's is inherited.
  std::vector<std::string> env;

  ResourceLimits limits;

  // Host paths bound read-only at the same place inside, beside the default
  // profile (/usr, /lib*, /etc/ld.so.cache, a few /dev nodes, /proc, /tmp).
  std::vector<std::string> readonly_paths;
  // readonly_prefixes[i]: the operator's granted prefix (a ceiling's
  // allowed_readonly_paths entry) readonly_paths[i] is opened beneath, with
  // no symlink followed in the prefix or below it (mount_plan.h). Empty (or
  // an empty entry): "/", so the whole path must be free of symlinks.
  std::vector<std::string> readonly_prefixes;
  uint64_t tmp_bytes = 16 * kMiB;  // size of the writable /tmp tmpfs
  Network network = Network::none;
  // Syscall names allowed beyond the default profile. spawn() refuses names
  // that can never be granted (see seccomp_policy.h).
  std::vector<std::string> extra_syscalls;
  // Off by default, and each gated by an operator ceiling (config.h):
  // allow_exec lets the plugin execve/execveat other programs (anything the
  // read-only root holds: /usr/bin/sh and every interpreter, unverified);
  // allow_jit lets it map memory writable and executable, or make anonymous
  // memory executable (JIT compilers need it; so does code that was never
  // pinned). Without them only the verified binary runs, with what its loader
  // maps from the read-only root.
  bool allow_exec = false;
  bool allow_jit = false;
  // Large payloads (execute.max_payload_mb, gated by ceilings.max_payload_mb):
  // memfd_create is allowed, with no flag beyond MFD_CLOEXEC,
  // MFD_ALLOW_SEALING and MFD_NOEXEC_SEAL. The kernel lets any memfd be
  // mapped executable (it checks no mount flag for memfds, on 6.18 not even
  // after MFD_NOEXEC_SEAL), so this gives the plugin executable memory of its
  // own writing, as allow_jit does (docs/security-model.md).
  bool allow_payload_memfds = false;

  // When the supervisor runs as root, the sandbox's uid/gid map to these
  // unprivileged host ids; otherwise to the supervisor's own ids.
  uid_t outer_uid = 65534;
  gid_t outer_gid = 65534;
  // The ids the plugin runs as inside its user namespace (non-root).
  uid_t inner_uid = 1000;
  gid_t inner_gid = 1000;

  // The provided files, copied in the child, before pivot_root, from the
  // fds onto a tmpfs of their own at provided_folder (absolute), which is
  // then made read-only. Their content is what the fds hold, never a path's.
  std::string provided_folder;
  std::vector<ProvidedFile> provided_files;

  std::string hostname = "stockade";
  // Working directory inside the sandbox.
  std::string cwd = "/";
};

}  // namespace stockade::sandbox
