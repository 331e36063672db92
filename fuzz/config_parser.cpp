// libFuzzer (and AFL++) target for the operator config reader: any bytes, as
// if they were a stockade.json, through parse_config and validate_config (the
// steps that touch no file; load_config adds the ownership checks and path
// resolution). Beyond not crashing and letting no exception out: every verdict
// agrees with the problems it lists (config_fuzz_checks.h); an accepted config
// printed back as JSON parses to the same config; a valid one grants only
// syscalls the sandbox can grant, normalized prefixes, non-root ids, and a
// control socket and access list of the shape `stockade serve` relies on.
// Seeds: fuzz/corpus/config_parser/ (valid-* pass both steps, invalid-* fail one).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "config/name_rules.h"
#include "config_fuzz_checks.h"
#include "sandbox/seccomp_policy.h"
#include "whitelist/whitelist.h"

namespace {

using nlohmann::json;
using stockade::fuzz::require;
namespace sv = stockade::supervisor;

// Every field parse_config reads, spelled as an operator would spell it.
json to_json(const sv::Config& c) {
  const auto& l = c.ceilings;
  json j = {
      {"ceilings",
       {{"max_memory_mb", l.max_memory_mb},
        {"max_cpu_cores", l.max_cpu_cores},
        {"max_cpu_seconds", l.max_cpu_seconds},
        {"max_processes", l.max_processes},
        {"max_open_files", l.max_open_files},
        {"max_file_size_mb", l.max_file_size_mb},
        {"max_tmpfs_mb", l.max_tmpfs_mb},
        {"max_wall_seconds", l.max_wall_seconds},
        {"allow_network", l.allow_network},
        {"allow_exec", l.allow_exec},
        {"allow_jit", l.allow_jit},
        {"allowed_readonly_paths", l.allowed_readonly_paths},
        {"allowed_syscalls", l.allowed_syscalls}}},
      {"sandbox", {{"uid", c.sandbox.uid}, {"gid", c.sandbox.gid}}}};
  // Empty means "not set" (the default); the file cannot spell it.
  if (!c.plugins_dir.empty()) j["plugins_dir"] = c.plugins_dir;
  if (!c.whitelist.empty()) j["whitelist"] = c.whitelist;
  char mode[8];
  std::snprintf(mode, sizeof mode, "0%03o", static_cast<unsigned>(c.control.mode & 0777));
  j["control"] = {{"socket", c.control.socket}, {"mode", mode}};
  if (!c.control.group.empty()) j["control"]["group"] = c.control.group;
  j["clients"] = json::array();
  for (const auto& rule : c.clients) {
    json entry = {{"plugins", rule.plugins}, {"admin", rule.admin}};
    switch (rule.match) {
      case sv::ClientRule::Match::uid: entry["uid"] = rule.id.value_or(0); break;
      case sv::ClientRule::Match::gid: entry["gid"] = rule.id.value_or(0); break;
      case sv::ClientRule::Match::user: entry["user"] = rule.name; break;
      case sv::ClientRule::Match::group: entry["group"] = rule.name; break;
    }
    j["clients"].push_back(std::move(entry));
  }
  return j;
}

// Validates `c`, checking the verdict; returns whether it is valid.
bool validate(const sv::Config& c, sv::Problems& problems, std::string_view source) {
  const size_t first = problems.size();
  auto valid = sv::validate_config(c, &problems);
  stockade::fuzz::check_verdict(valid.ok(), valid.ok() ? nullptr : &valid.error(), problems,
                                first, source);
  return valid.ok();
}

// What validate_config promises effective_policy and the runtime.
void check_valid(const sv::Config& c) {
  for (const auto& prefix : c.ceilings.allowed_readonly_paths) {
    require(sv::is_normalized_absolute_path(prefix), "allowed prefixes are normalized");
  }
  for (const auto& name : c.ceilings.allowed_syscalls) {
    require(sv::is_syscall_name(name) && stockade::sandbox::check_grantable(name).ok(),
            "allowed syscalls can be granted");
  }
  require(c.sandbox.uid != 0 && c.sandbox.gid != 0, "the sandbox never maps to root");
  require(sv::is_normalized_absolute_path(c.control.socket) && c.control.socket != "/",
          "the control socket is an absolute path");
  require((c.control.mode & 0002) == 0 && (c.control.mode & 0200) != 0,
          "the control socket is owner-writable and not world-writable");
  for (const auto& rule : c.clients) {
    require(rule.match == sv::ClientRule::Match::user || rule.match == sv::ClientRule::Match::group ||
                rule.id.has_value(),
            "a uid or gid rule carries its id");
    for (const auto& name : rule.plugins) {
      require(name == "*" ? rule.plugins.size() == 1 : stockade::is_valid_plugin_name(name),
              "a client rule names plugins, or \"*\" alone");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sv::Problems problems;
  auto config = sv::parse_config(text, "fuzz", &problems);
  stockade::fuzz::check_verdict(config.ok(), config.ok() ? nullptr : &config.error(), problems,
                                0, "fuzz");
  if (!config.ok()) return 0;

  const bool valid = validate(*config, problems, "fuzz");
  if (valid) check_valid(*config);

  // Printed back, the config reads the same and gets the same verdict.
  const json printed = to_json(*config);
  const std::string reprinted = printed.dump();
  if (reprinted.size() > sv::kMaxConfigBytes) return 0;  // the added defaults can tip it over
  sv::Problems again_problems;
  auto again = sv::parse_config(reprinted, "reprinted", &again_problems);
  require(again.ok(), "a parsed config, printed back, parses");
  require(to_json(*again) == printed, "a parsed config, printed back, parses to itself");
  require(validate(*again, again_problems, "reprinted") == valid,
          "a reprinted config gets the same validation verdict");
  return 0;
}
