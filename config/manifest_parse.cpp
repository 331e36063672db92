// Step 1 of 3: JSON -> Manifest. Types, ranges, lengths and unknown keys; the
// grammar of the strings is validate_manifest's job (manifest_validate.cpp).
#include "config/manifest.h"

namespace stockade::supervisor {
namespace {

void read_resources(ObjectReader& r, ResourceRequest& out) {
  r.integer("max_memory_mb", out.max_memory_mb, 1, kMaxMemoryMbRange);
  r.number("max_cpu_cores", out.max_cpu_cores, kMinCpuCores, kMaxCpuCoresRange);
  r.integer("max_cpu_seconds", out.max_cpu_seconds, 1, kMaxCpuSecondsRange);
  r.integer("max_processes", out.max_processes, 1, kMaxProcessesRange);
  r.integer("max_open_files", out.max_open_files, kMinOpenFiles, kMaxOpenFilesRange);
  r.integer("max_file_size_mb", out.max_file_size_mb, 0, kMaxFileSizeMbRange);
  r.integer("max_wall_seconds", out.max_wall_seconds, 1, kMaxWallSecondsRange);
}

void read_sandbox(ObjectReader& r, SandboxRequest& out) {
  r.string_list("readonly_paths", out.readonly_paths, kMaxManifestListItems, {1, kMaxPathBytes});
  r.string_list("writable_paths", out.writable_paths, kMaxManifestListItems, {1, kMaxPathBytes});
  // tmpfs treats size=0 as "unlimited", so 0 is not a way to ask for none.
  r.integer("tmpfs_mb", out.tmpfs_mb, 1, kMaxTmpfsMbRange);
  std::string network = out.network == sandbox::Network::host ? "host" : "none";
  r.choice("network", network, {"none", "host"});
  out.network = network == "host" ? sandbox::Network::host : sandbox::Network::none;
  r.string_list("extra_syscalls", out.extra_syscalls, kMaxManifestListItems, {1, 64});
  r.boolean("allow_exec", out.allow_exec);
  r.boolean("allow_jit", out.allow_jit);
}

void read_execute(ObjectReader& r, ExecuteSettings& out) {
  r.integer("timeout_ms", out.timeout_ms, 1, 3600 * 1000);
  r.integer("max_concurrency", out.max_concurrency, 1, 1024);
  r.boolean("idempotent", out.idempotent);
  r.integer("max_frame_kb", out.max_frame_kb, 1, 64 * 1024);
  r.integer("max_payload_mb", out.max_payload_mb, 0, kMaxPayloadMbRange);
}

void read_retry(ObjectReader& r, RetrySettings& out) {
  r.integer("max_attempts", out.max_attempts, 1, 10);
  r.integer("initial_backoff_ms", out.initial_backoff_ms, 1, 60 * 1000);
  r.integer("max_backoff_ms", out.max_backoff_ms, 1, 600 * 1000);
  r.number("multiplier", out.multiplier, 1.0, 10.0);
  r.integer("budget_percent", out.budget_percent, 0, 100);
}

void read_circuit_breaker(ObjectReader& r, CircuitBreakerSettings& out) {
  r.integer("failure_threshold", out.failure_threshold, 1, 1000);
  r.integer("open_ms", out.open_ms, 100, 3600 * 1000);
  r.integer("half_open_probes", out.half_open_probes, 1, 100);
}

void read_health(ObjectReader& r, HealthSettings& out) {
  r.integer("interval_ms", out.interval_ms, 100, 3600 * 1000);
  r.integer("timeout_ms", out.timeout_ms, 1, 600 * 1000);
  r.integer("failure_threshold", out.failure_threshold, 1, 100);
}

void read_restart(ObjectReader& r, RestartSettings& out) {
  r.integer("max_restarts", out.max_restarts, 0, 1000);
  r.integer("window_ms", out.window_ms, 1000, 24 * 3600 * 1000);
  r.integer("backoff_ms", out.backoff_ms, 1, 600 * 1000);
}

}  // namespace

Result<Manifest> parse_manifest(std::string_view text, std::string_view source,
                                Problems* problems) {
  Problems local;
  Problems& found = problems != nullptr ? *problems : local;
  size_t first = found.size();

  auto doc = parse_json_object(text, source, kMaxManifestBytes);
  if (!doc) {
    found.push_back(doc.error());
    return doc.error();
  }

  Manifest m;
  m.source = std::string(source);
  ObjectReader r(*doc, m.source, "", found);
  r.require("name");
  r.string("name", m.name, {1, 128});
  r.string("version", m.version, {0, 64});
  r.string("description", m.description, {0, 1024});
  r.string("author", m.author, {0, 256});
  r.string_list("capabilities", m.capabilities, kMaxManifestListItems, {1, 64});
  r.choice("transport", m.transport, {"subprocess"});
  r.string("endpoint", m.endpoint, {1, kMaxPathBytes});
  r.string("interpreter", m.interpreter, {1, kMaxPathBytes});
  r.string_list("files", m.files, kMaxManifestFiles, {1, kMaxPathBytes});
  r.string_list("args", m.args, kMaxManifestArgs, {0, kMaxArgBytes});
  r.string_map("env", m.env, kMaxManifestEnv, {1, 128}, {0, kMaxArgBytes});
  r.object("resources", [&](ObjectReader& o) { read_resources(o, m.resources); });
  r.object("sandbox", [&](ObjectReader& o) { read_sandbox(o, m.sandbox); });
  r.object("execute", [&](ObjectReader& o) { read_execute(o, m.execute); });
  r.object("retry", [&](ObjectReader& o) { read_retry(o, m.retry); });
  r.object("circuit_breaker", [&](ObjectReader& o) { read_circuit_breaker(o, m.circuit_breaker); });
  r.object("health", [&](ObjectReader& o) { read_health(o, m.health); });
  r.object("restart", [&](ObjectReader& o) { read_restart(o, m.restart); });
  r.string_map("metadata", m.metadata, kMaxManifestMetadata, {1, 64}, {0, 1024});
  r.boolean("autostart", m.autostart);
  r.finish();

  if (found.size() > first) return found[first];
  return m;
}

}  // namespace stockade::supervisor
