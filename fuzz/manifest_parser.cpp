// libFuzzer (and AFL++) target for the plugin manifest reader: any bytes, as
// if they were a plugin.json, through parse_manifest and validate_manifest
// (the steps that touch no file). Beyond not crashing and letting no exception
// out: every verdict agrees with the problems it lists (config_fuzz_checks.h);
// an accepted manifest printed back as JSON parses to the same manifest; a
// valid one has a name the whitelist can pin and an endpoint inside its folder.
// Seeds: fuzz/corpus/manifest_parser/ (valid-* pass both steps, invalid-* fail one).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/manifest.h"
#include "config/name_rules.h"
#include "config_fuzz_checks.h"
#include "whitelist/whitelist.h"

namespace {

using nlohmann::json;
using stockade::fuzz::require;
namespace sv = stockade::supervisor;

// Every field parse_manifest reads, spelled as a manifest would spell it.
json to_json(const sv::Manifest& m) {
  json j = {{"name", m.name},
            {"version", m.version},
            {"description", m.description},
            {"author", m.author},
            {"capabilities", m.capabilities},
            {"transport", m.transport},
            {"args", m.args},
            {"env", m.env},
            {"metadata", m.metadata}};
  if (!m.endpoint.empty()) j["endpoint"] = m.endpoint;  // empty means "./<name>"
  const auto& r = m.resources;
  j["resources"] = {{"max_memory_mb", r.max_memory_mb},       {"max_cpu_cores", r.max_cpu_cores},
                    {"max_cpu_seconds", r.max_cpu_seconds},   {"max_processes", r.max_processes},
                    {"max_open_files", r.max_open_files},     {"max_file_size_mb", r.max_file_size_mb},
                    {"max_wall_seconds", r.max_wall_seconds}};
  const auto& s = m.sandbox;
  j["sandbox"] = {{"readonly_paths", s.readonly_paths},
                  {"writable_paths", s.writable_paths},
                  {"tmpfs_mb", s.tmpfs_mb},
                  {"network", s.network == stockade::sandbox::Network::host ? "host" : "none"},
                  {"extra_syscalls", s.extra_syscalls},
                  {"allow_exec", s.allow_exec},
                  {"allow_jit", s.allow_jit}};
  j["execute"] = {{"timeout_ms", m.execute.timeout_ms},
                  {"max_concurrency", m.execute.max_concurrency},
                  {"idempotent", m.execute.idempotent},
                  {"max_frame_kb", m.execute.max_frame_kb}};
  j["retry"] = {{"max_attempts", m.retry.max_attempts},
                {"initial_backoff_ms", m.retry.initial_backoff_ms},
                {"max_backoff_ms", m.retry.max_backoff_ms},
                {"multiplier", m.retry.multiplier},
                {"budget_percent", m.retry.budget_percent}};
  j["circuit_breaker"] = {{"failure_threshold", m.circuit_breaker.failure_threshold},
                          {"open_ms", m.circuit_breaker.open_ms},
                          {"half_open_probes", m.circuit_breaker.half_open_probes}};
  j["health"] = {{"interval_ms", m.health.interval_ms},
                 {"timeout_ms", m.health.timeout_ms},
                 {"failure_threshold", m.health.failure_threshold}};
  j["restart"] = {{"max_restarts", m.restart.max_restarts},
                  {"window_ms", m.restart.window_ms},
                  {"backoff_ms", m.restart.backoff_ms}};
  return j;
}

// Validates `m`, checking the verdict; returns whether it is valid.
bool validate(const sv::Manifest& m, sv::Problems& problems, std::string_view source) {
  const size_t first = problems.size();
  auto valid = sv::validate_manifest(m, &problems);
  stockade::fuzz::check_verdict(valid.ok(), valid.ok() ? nullptr : &valid.error(), problems,
                                first, source);
  return valid.ok();
}

// What validate_manifest promises the rest of the supervisor.
void check_valid(const sv::Manifest& m) {
  // The whitelist pins plugins by this name: a valid manifest must be pinnable.
  require(stockade::is_valid_plugin_name(m.name), "a valid manifest's name is a plugin name");
  const stockade::Sha256Digest digest{};
  auto pinned = stockade::Whitelist::parse(stockade::to_hex(digest) + "  " + m.name + "\n", "pin");
  require(pinned.ok() && pinned->allows(m.name, digest), "the whitelist can pin a valid name");
  for (const auto& p : m.sandbox.readonly_paths) {
    require(sv::is_normalized_absolute_path(p), "readonly paths are normalized and absolute");
  }
  for (const auto& s : m.sandbox.extra_syscalls) {
    require(sv::is_syscall_name(s), "extra syscalls are syscall names");
  }
  // The binary the supervisor will open stays strictly inside the plugin's folder.
  sv::Manifest placed = m;
  placed.folder = "/plugins/p";
  const std::string binary = sv::endpoint_path(placed);
  require(sv::path_is_within(binary, placed.folder) && binary.size() > placed.folder.size(),
          "the endpoint resolves below the manifest's folder");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sv::Problems problems;
  auto manifest = sv::parse_manifest(text, "fuzz", &problems);
  stockade::fuzz::check_verdict(manifest.ok(), manifest.ok() ? nullptr : &manifest.error(),
                                problems, 0, "fuzz");
  if (!manifest.ok()) return 0;

  const bool valid = validate(*manifest, problems, "fuzz");
  if (valid) check_valid(*manifest);

  // Printed back, the manifest reads the same and gets the same verdict:
  // nothing accepted is lost, changed or unreadable on the way.
  const json printed = to_json(*manifest);
  const std::string reprinted = printed.dump();
  if (reprinted.size() > sv::kMaxManifestBytes) return 0;  // the added defaults can tip it over
  sv::Problems again_problems;
  auto again = sv::parse_manifest(reprinted, "reprinted", &again_problems);
  require(again.ok(), "a parsed manifest, printed back, parses");
  require(to_json(*again) == printed, "a parsed manifest, printed back, parses to itself");
  require(validate(*again, again_problems, "reprinted") == valid,
          "a reprinted manifest gets the same validation verdict");
  return 0;
}
