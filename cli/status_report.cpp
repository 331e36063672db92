#include "cli/status_report.h"

#include <string.h>

#include <nlohmann/json.hpp>

namespace stockade::supervisor {
namespace {

using nlohmann::json;

json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json signal_name(int signo) {
  if (signo <= 0) return nullptr;
  const char* abbrev = sigabbrev_np(signo);
  return abbrev != nullptr ? json(std::string("SIG") + abbrev) : json(std::to_string(signo));
}

json limits_of(const StatusReport& r) {
  json limits = json::object();
  if (r.wall_seconds) limits["wall_seconds"] = *r.wall_seconds;
  if (r.policy) {
    const auto& l = r.policy->limits;
    limits["memory_mb"] = l.memory_bytes / sandbox::kMiB;
    limits["cpu_cores"] = l.cpu_cores;
    limits["cpu_seconds"] = l.cpu_seconds;
    limits["processes"] = l.processes;
    limits["open_files"] = l.open_files;
    limits["file_size_mb"] = l.file_size_bytes / sandbox::kMiB;
    limits["tmpfs_mb"] = r.policy->tmp_bytes / sandbox::kMiB;
    limits["network"] = r.policy->network == sandbox::Network::host ? "host" : "none";
  }
  return limits;
}

json applied_of(const StatusReport& r) {
  if (!r.applied) return nullptr;
  const auto& a = *r.applied;
  return json{{"cgroup", a.cgroup},       {"memory", a.memory},         {"cpu_time", a.cpu_time},
              {"cpu_cores", a.cpu_cores}, {"processes", a.processes},   {"open_files", a.open_files},
              {"file_size", a.file_size}, {"landlock", a.landlock},     {"network", a.network}};
}

json timings_of(const StatusReport& r) {
  json timings = json::object();
  timings["wall_ms"] = r.wall_ms ? json(*r.wall_ms) : json(nullptr);
  if (r.timings) {
    const auto& t = *r.timings;
    timings["launch_us"] = json{{"prepare", t.prepare_us}, {"cgroup", t.cgroup_us},
                                {"clone", t.clone_us},     {"maps", t.maps_us},
                                {"verify", t.verify_us},   {"setup", t.setup_us}};
  }
  return timings;
}

}  // namespace

std::string status_json(const StatusReport& r) {
  // ordered_json would keep this order; a plain object sorts the keys,
  // which is as good for a machine and stable for diffs.
  json out = json::object();
  out["version"] = 1;
  out["kind"] = r.kind;
  out["exit_code"] = r.exit_code;
  out["code"] = r.code ? json(*r.code) : json(nullptr);
  out["signal"] = r.signal > 0 ? json(r.signal) : json(nullptr);
  out["signal_name"] = signal_name(r.signal);
  out["syscall"] = text_or_null(r.syscall);
  out["limit"] = text_or_null(r.limit);
  out["interrupted_by"] = signal_name(r.interrupted_by);
  out["message"] = r.message;
  out["output_cut"] = r.output_cut;
  out["limits"] = limits_of(r);
  out["applied"] = applied_of(r);
  out["timings"] = timings_of(r);
  // ensure_ascii escapes every control character below 0x20 and everything
  // beyond ASCII; "replace" turns invalid UTF-8 into U+FFFD instead of
  // throwing. DEL is the one control character JSON lets through raw: it
  // can only be inside a string, so escape it there.
  std::string text = out.dump(-1, ' ', true, json::error_handler_t::replace);
  std::string escaped;
  escaped.reserve(text.size() + 1);
  for (char c : text) {
    if (c == '\x7f') {
      escaped += "\\u007f";
    } else {
      escaped += c;
    }
  }
  escaped += '\n';
  return escaped;
}

}  // namespace stockade::supervisor
