#include "supervisor/reload_plan.h"

#include <algorithm>
#include <string_view>
#include <tuple>

namespace stockade::supervisor {

namespace {

// Field by field: Ceilings has no operator== (config/ owns it). A field
// added there and missed here would be reloadable without effect, so the
// tie lists every member (see include/stockade/config.h).
auto tie_ceilings(const Ceilings& c) {
  return std::tie(c.max_memory_mb, c.max_cpu_cores, c.max_cpu_seconds, c.max_processes, c.max_open_files,
                  c.max_file_size_mb, c.max_tmpfs_mb, c.max_wall_seconds, c.allow_network, c.allow_exec,
                  c.allow_jit, c.max_payload_mb, c.allowed_readonly_paths, c.allowed_syscalls);
}

}  // namespace

std::optional<std::string> unreloadable_change(const SupervisorOptions& a, const SupervisorOptions& b) {
  // Each of these is copied into running plugin processes or threads at
  // create(); changing it needs a new Supervisor (restart the host).
  if (a.dev != b.dev) return "dev";
  if (tie_ceilings(a.ceilings) != tie_ceilings(b.ceilings)) return "ceilings";
  if (a.identity.uid != b.identity.uid || a.identity.gid != b.identity.gid) return "identity";
  if (a.handshake_timeout != b.handshake_timeout) return "handshake_timeout";
  if (a.shutdown_grace != b.shutdown_grace) return "shutdown_grace";
  if (a.max_queued_calls != b.max_queued_calls) return "max_queued_calls";
  if (a.memfd_threshold != b.memfd_threshold) return "memfd_threshold";
  if (a.health_checks != b.health_checks) return "health_checks";
  if (a.output.max_line_bytes != b.output.max_line_bytes ||
      a.output.lines_per_second != b.output.lines_per_second || a.output.burst_lines != b.output.burst_lines) {
    return "output";
  }
  if (a.cgroup_prune_interval != b.cgroup_prune_interval) return "cgroup_prune_interval";
  if (a.raise_open_file_limit != b.raise_open_file_limit) return "raise_open_file_limit";
  if (a.cache_digests != b.cache_digests) return "cache_digests";
  if (a.spin_wait != b.spin_wait) return "spin_wait";
  return std::nullopt;
}

// Every line pinned for the plugin `name`: its endpoint ("NAME"), and for an
// interpreted plugin its files ("NAME/REL") and interpreter ("NAME@/ABS"),
// label and digest together, so a changed script, module or interpreter pin
// restarts the plugin as a changed binary does.
std::vector<std::string> pinned_digests(const Whitelist* whitelist, const std::string& name) {
  std::vector<std::string> digests;
  if (whitelist == nullptr) return digests;
  for (const auto& entry : whitelist->entries()) {
    const std::string_view label = entry.name;
    const bool mine = label == name || (label.size() > name.size() && label.starts_with(name) &&
                                        (label[name.size()] == '/' || label[name.size()] == '@'));
    if (mine) digests.push_back(entry.name + " " + to_hex(entry.digest));
  }
  std::sort(digests.begin(), digests.end());
  return digests;
}

ReloadPlan plan_reload(const PluginRegistry& before, const Whitelist* before_whitelist,
                       const PluginRegistry& after, const Whitelist* after_whitelist) {
  ReloadPlan plan;
  for (const auto& [name, manifest] : before.plugins()) {
    const Manifest* next = after.find(name);
    if (next == nullptr) {
      plan.removed.push_back(name);
    } else if (before.fingerprint(name) != after.fingerprint(name) || manifest.folder != next->folder ||
               pinned_digests(before_whitelist, name) != pinned_digests(after_whitelist, name)) {
      plan.changed.push_back(name);
    }
  }
  for (const auto& [name, manifest] : after.plugins()) {
    if (before.find(name) == nullptr) plan.added.push_back(name);
  }
  return plan;
}

}  // namespace stockade::supervisor
