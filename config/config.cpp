#include "config/config.h"

#include <fcntl.h>

#include <filesystem>

#include "config/control_config.h"
#include "config/manifest.h"
#include "config/metrics_config.h"
#include "config/name_rules.h"
#include "sandbox/seccomp_policy.h"
#include "config/text_file.h"
#include "whitelist/trust_path.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {
namespace {

void read_ceilings(ObjectReader& r, Ceilings& out) {
  // The same ranges as the manifest's requests: a ceiling no request could
  // reach, or one below every valid request, is a typo.
  r.integer("max_memory_mb", out.max_memory_mb, 1, kMaxMemoryMbRange);
  r.number("max_cpu_cores", out.max_cpu_cores, kMinCpuCores, kMaxCpuCoresRange);
  r.integer("max_cpu_seconds", out.max_cpu_seconds, 1, kMaxCpuSecondsRange);
  r.integer("max_processes", out.max_processes, 1, kMaxProcessesRange);
  r.integer("max_open_files", out.max_open_files, kMinOpenFiles, kMaxOpenFilesRange);
  r.integer("max_file_size_mb", out.max_file_size_mb, 0, kMaxFileSizeMbRange);
  r.integer("max_tmpfs_mb", out.max_tmpfs_mb, 1, kMaxTmpfsMbRange);
  r.integer("max_wall_seconds", out.max_wall_seconds, 1, kMaxWallSecondsRange);
  r.boolean("allow_network", out.allow_network);
  r.boolean("allow_exec", out.allow_exec);
  r.boolean("allow_jit", out.allow_jit);
  r.integer("max_payload_mb", out.max_payload_mb, 0, kMaxPayloadMbRange);
  r.string_list("allowed_readonly_paths", out.allowed_readonly_paths, kMaxConfigListItems,
                {1, kMaxPathBytes});
  r.string_list("allowed_syscalls", out.allowed_syscalls, kMaxConfigListItems, {1, 64});
}

void read_sandbox_identity(ObjectReader& r, SandboxIdentity& out) {
  uint32_t uid = out.uid;
  uint32_t gid = out.gid;
  // 0 is in range for the reader and refused by validate_config with a reason.
  r.integer("uid", uid, 0, 0xfffffffe);
  r.integer("gid", gid, 0, 0xfffffffe);
  out.uid = uid;
  out.gid = gid;
}

std::string resolve(const std::filesystem::path& folder, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (folder / path).lexically_normal().string();
}

}  // namespace

Result<Config> parse_config(std::string_view text, std::string_view source, Problems* problems) {
  Problems local;
  Problems& found = problems != nullptr ? *problems : local;
  size_t first = found.size();
  auto doc = parse_json_object(text, source, kMaxConfigBytes);
  if (!doc) {
    found.push_back(doc.error());
    return doc.error();
  }
  Config c;
  c.source = std::string(source);
  ObjectReader r(*doc, c.source, "", found);
  r.string("plugins_dir", c.plugins_dir, {1, kMaxPathBytes});
  r.string("whitelist", c.whitelist, {1, kMaxPathBytes});
  r.integer("max_plugins", c.max_plugins, 1, kMaxPluginsRange);
  r.boolean("cache_digests", c.cache_digests);
  r.boolean("spin_wait", c.spin_wait);
  r.object("ceilings", [&](ObjectReader& o) { read_ceilings(o, c.ceilings); });
  r.object("sandbox", [&](ObjectReader& o) { read_sandbox_identity(o, c.sandbox); });
  r.object("control", [&](ObjectReader& o) { read_control(o, c.control, found); });
  read_clients(r, c.source, c.clients, found);
  r.string_list("autostart", c.autostart, kMaxConfigListItems, {1, 128});
  r.object("metrics", [&](ObjectReader& o) { read_metrics(o, c.metrics); });
  r.finish();
  if (found.size() > first) return found[first];
  return c;
}

Status validate_config(const Config& c, Problems* problems) {
  Problems local;
  Problems& found = problems != nullptr ? *problems : local;
  size_t first = found.size();
  auto fail = [&](const std::string& path, std::string what) {
    std::string where = c.source.empty() ? path : c.source + ": " + path;
    found.push_back(Error{Errc::invalid_input, std::move(what), std::move(where)});
  };
  const auto& prefixes = c.ceilings.allowed_readonly_paths;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    if (!is_normalized_absolute_path(prefixes[i])) {
      fail("ceilings.allowed_readonly_paths[" + std::to_string(i) + "]",
           "must be an absolute path without \".\", \"..\" or empty components (got " +
               json_excerpt(prefixes[i]) + ")");
    }
  }
  const auto& syscalls = c.ceilings.allowed_syscalls;
  for (size_t i = 0; i < syscalls.size(); ++i) {
    std::string path = "ceilings.allowed_syscalls[" + std::to_string(i) + "]";
    if (!is_syscall_name(syscalls[i])) {
      fail(path, "must be a syscall name such as \"sched_setaffinity\" (got " +
                     json_excerpt(syscalls[i]) + ")");
    } else if (auto grantable = sandbox::check_grantable(syscalls[i]); !grantable) {
      // Listing one is a mistake worth stopping for, even though
      // effective_policy would refuse every request for it anyway.
      fail(path, grantable.error().what);
    }
  }
  if (c.sandbox.uid == 0) fail("sandbox.uid", "must not be 0: the plugin would own root's files");
  if (c.sandbox.gid == 0) fail("sandbox.gid", "must not be 0: the plugin would own root's files");
  validate_control(c, found);
  for (size_t i = 0; i < c.autostart.size(); ++i) {
    // The manifest's name rule; whether the plugin exists is the daemon's
    // check (it reads plugins_dir).
    if (!is_valid_plugin_name(c.autostart[i])) {
      fail("autostart[" + std::to_string(i) + "]",
           "must be a plugin name: 1 to 128 of [A-Za-z0-9._-], not starting with '.' or '-' (got " +
               json_excerpt(c.autostart[i]) + ")");
    }
  }
  validate_metrics(c, found);
  if (found.size() > first) return found[first];
  return {};
}

Result<Config> load_config(const std::string& path) { return load_config(path, nullptr); }

Result<Config> load_config(const std::string& path, Problems* problems) {
  Problems local;
  Problems& found = problems != nullptr ? *problems : local;
  // The config grants ceilings: one someone else can write grants them
  // everything. Checked on the fd that is then read (whitelist/trust_path.h).
  auto fd = open_trusted(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, "config");
  if (!fd) {
    found.push_back(fd.error());
    return fd.error();
  }
  auto text = read_text_fd(fd->get(), path, kMaxConfigBytes);
  if (!text) {
    found.push_back(text.error());
    return text.error();
  }
  auto config = parse_config(*text, path, &found);
  if (!config) return config;
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  config->plugins_dir = resolve(folder, config->plugins_dir);
  config->whitelist = resolve(folder, config->whitelist);
  if (auto valid = validate_config(*config, &found); !valid) return valid.error();
  // Names become ids here, once a load (and so once a reload), not when a
  // client connects: matching stays pure, and a user database that is slow
  // or changing cannot stall or sway a connection (control_config.h).
  const size_t before = found.size();
  resolve_control_names(*config, system_name_lookup(), found);
  if (found.size() > before) return found[before];
  return config;
}

}  // namespace stockade::supervisor
