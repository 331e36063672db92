#include "config/effective_policy.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sandbox/mount_plan.h"
#include "sandbox/seccomp_policy.h"
#include "config/name_rules.h"

namespace stockade::supervisor {
namespace {

class Refusals {
 public:
  Refusals(const Manifest& m, Problems& problems) : m_(m), problems_(problems) {}

  void refuse(const std::string& field, std::string what, Errc code = Errc::refused) {
    std::string where = m_.source.empty() ? field : m_.source + ": " + field;
    problems_.push_back(Error{code, std::move(what), std::move(where)});
  }

  // "requests 2048, above the operator's ceiling of 1024 (ceilings.max_memory_mb)"
  template <typename T>
  void cap(const std::string& field, T requested, T ceiling, const char* ceiling_name,
           const char* unit) {
    if (requested <= ceiling) return;
    refuse(field, "requests " + show(requested) + unit + ", above the operator's ceiling of " +
                      show(ceiling) + unit + " (ceilings." + ceiling_name + ")");
  }

 private:
  static std::string show(uint32_t v) { return std::to_string(v); }
  static std::string show(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }

  const Manifest& m_;
  Problems& problems_;
};

// The most specific granted prefix that holds `path`, or null.
const std::string* granting_prefix(const std::string& path,
                                   const std::vector<std::string>& prefixes) {
  const std::string* best = nullptr;
  for (const auto& prefix : prefixes) {
    if (path_is_within(path, prefix) && (best == nullptr || prefix.size() > best->size()))
      best = &prefix;
  }
  return best;
}

// A granted prefix may hold a symlink to anywhere, and a local user who can
// write below it may swap a folder for one at any moment. So the path is
// opened the way the sandbox child opens it (sandbox::open_beneath: from
// the prefix, no symlink followed at any component) and a path with a
// symlink is refused, here for an early message naming it; the child's own
// open is what counts (and it binds the fd it checked). Returns the prefix
// the child opens beneath, or an empty string after a refusal.
std::string check_readonly_path(Refusals& refusals, const std::string& field,
                                const std::string& path,
                                const std::vector<std::string>& prefixes) {
  const std::string* prefix = granting_prefix(path, prefixes);
  if (prefix == nullptr) {
    refusals.refuse(field, "requests read-only access to " + path +
                               ", which is not under a prefix the operator allows "
                               "(ceilings.allowed_readonly_paths)");
    return {};
  }
  auto opened = sandbox::open_beneath(*prefix, path);
  if (!opened) {
    refusals.refuse(field, opened.error().what, opened.error().code);
    return {};
  }
  struct stat info;
  if (::fstat(opened->get(), &info) != 0) {
    refusals.refuse(field, "cannot fstat " + path + ": " + std::strerror(errno), Errc::io);
    return {};
  }
  if (!S_ISDIR(info.st_mode) && !S_ISREG(info.st_mode)) {
    refusals.refuse(field, path + " " + sandbox::bind_failure_reason(EMEDIUMTYPE));
    return {};
  }
  return *prefix;
}

bool listed(const std::string& name, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace

Result<sandbox::Policy> effective_policy(const Manifest& m, const Ceilings& c,
                                         const SandboxIdentity& identity,
                                         const LaunchRequest& launch, Problems* problems) {
  Problems local;
  Problems& found = problems != nullptr ? *problems : local;
  size_t first = found.size();
  Refusals refusals(m, found);

  const auto& r = m.resources;
  refusals.cap("resources.max_memory_mb", r.max_memory_mb, c.max_memory_mb, "max_memory_mb", " MiB");
  refusals.cap("resources.max_cpu_cores", r.max_cpu_cores, c.max_cpu_cores, "max_cpu_cores", " cores");
  refusals.cap("resources.max_cpu_seconds", r.max_cpu_seconds, c.max_cpu_seconds, "max_cpu_seconds",
               " s");
  refusals.cap("resources.max_processes", r.max_processes, c.max_processes, "max_processes", "");
  refusals.cap("resources.max_open_files", r.max_open_files, c.max_open_files, "max_open_files", "");
  refusals.cap("resources.max_file_size_mb", r.max_file_size_mb, c.max_file_size_mb,
               "max_file_size_mb", " MiB");
  refusals.cap("resources.max_wall_seconds", r.max_wall_seconds, c.max_wall_seconds,
               "max_wall_seconds", " s");

  refusals.cap("execute.max_payload_mb", m.execute.max_payload_mb, c.max_payload_mb, "max_payload_mb",
               " MiB");
  const auto& s = m.sandbox;
  refusals.cap("sandbox.tmpfs_mb", s.tmpfs_mb, c.max_tmpfs_mb, "max_tmpfs_mb", " MiB");
  if (s.network == sandbox::Network::host && !c.allow_network) {
    refusals.refuse("sandbox.network",
                    "requests \"host\", but the operator does not allow network access "
                    "(ceilings.allow_network)");
  }
  if (s.allow_exec && !c.allow_exec) {
    refusals.refuse("sandbox.allow_exec",
                    "requests running programs other than the pinned binary, but the operator "
                    "does not allow it (ceilings.allow_exec)");
  }
  if (s.allow_jit && !c.allow_jit) {
    refusals.refuse("sandbox.allow_jit",
                    "requests writable and executable memory, but the operator does not allow "
                    "it (ceilings.allow_jit)");
  }
  std::vector<std::string> readonly_prefixes;
  for (size_t i = 0; i < s.readonly_paths.size(); ++i) {
    readonly_prefixes.push_back(
        check_readonly_path(refusals, "sandbox.readonly_paths[" + std::to_string(i) + "]",
                            s.readonly_paths[i], c.allowed_readonly_paths));
  }
  for (size_t i = 0; i < s.writable_paths.size(); ++i) {
    refusals.refuse("sandbox.writable_paths[" + std::to_string(i) + "]",
                    "requests write access to " + s.writable_paths[i] +
                        "; writable host paths are never granted (write to /tmp, sized by "
                        "sandbox.tmpfs_mb)");
  }
  for (size_t i = 0; i < s.extra_syscalls.size(); ++i) {
    std::string field = "sandbox.extra_syscalls[" + std::to_string(i) + "]";
    const auto& name = s.extra_syscalls[i];
    // Checked before the operator's list: no config can grant these.
    if (auto grantable = sandbox::check_grantable(name); !grantable) {
      refusals.refuse(field, grantable.error().what, grantable.error().code);
    } else if (!listed(name, c.allowed_syscalls)) {
      refusals.refuse(field, "requests syscall " + name +
                                 ", which the operator does not grant (ceilings.allowed_syscalls)");
    }
  }
  for (const auto& [key, value] : launch.runtime_env) {
    if (m.env.count(key) != 0) {
      refusals.refuse(key_path("env", key), "is set by the supervisor and cannot be overridden",
                      Errc::invalid_input);
    }
  }
  if (found.size() > first) return found[first];

  sandbox::Policy p;
  if (m.interpreter.empty()) {
    p.argv.push_back(launch.argv0.empty() ? m.name : launch.argv0);
  } else {
    // stockade's argv, whatever the caller's argv0: the interpreter's own
    // path lets Python find its prefix (/usr); the args follow the script.
    p.argv = interpreter_argv(m);
  }
  p.argv.insert(p.argv.end(), m.args.begin(), m.args.end());
  p.argv.insert(p.argv.end(), launch.extra_args.begin(), launch.extra_args.end());
  // Only the manifest's variables and the runtime's: never the supervisor's
  // own environment (secrets, LD_PRELOAD, proxies).
  std::map<std::string, std::string> env = m.env;
  env.insert(launch.runtime_env.begin(), launch.runtime_env.end());
  for (const auto& [key, value] : env) p.env.push_back(key + "=" + value);

  p.limits.memory_bytes = uint64_t{r.max_memory_mb} * sandbox::kMiB;
  p.limits.cpu_cores = r.max_cpu_cores;
  p.limits.cpu_seconds = r.max_cpu_seconds;
  p.limits.processes = r.max_processes;
  p.limits.open_files = r.max_open_files;
  p.limits.file_size_bytes = uint64_t{r.max_file_size_mb} * sandbox::kMiB;
  p.readonly_paths = s.readonly_paths;
  p.readonly_prefixes = std::move(readonly_prefixes);
  p.tmp_bytes = uint64_t{s.tmpfs_mb} * sandbox::kMiB;
  p.network = s.network;
  p.extra_syscalls = s.extra_syscalls;
  p.allow_exec = s.allow_exec;
  p.allow_jit = s.allow_jit;
  p.allow_payload_memfds = m.execute.max_payload_mb > 0;
  p.outer_uid = identity.uid;
  p.outer_gid = identity.gid;
  return p;
}

}  // namespace stockade::supervisor
