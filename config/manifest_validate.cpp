// Step 2 of 3: the grammar of the manifest's strings and the relations between
// its fields. Types and ranges were settled by parse_manifest.
#include <string>

#include "config/manifest.h"
#include "config/name_rules.h"
#include "whitelist/pinned_label.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {
namespace {

class Checker {
 public:
  Checker(const Manifest& m, Problems& problems) : m_(m), problems_(problems) {}

  void fail(const std::string& path, std::string what) {
    std::string where = m_.source.empty() ? path : m_.source + ": " + path;
    problems_.push_back(Error{Errc::invalid_input, std::move(what), std::move(where)});
  }

  void printable(const std::string& path, const std::string& text) {
    if (!is_printable_text(text)) {
      fail(path, "must not contain control characters (got " + json_excerpt(text) + ")");
    }
  }

 private:
  const Manifest& m_;
  Problems& problems_;
};

// The dynamic loader's variables load or redirect code before the
// interpreter's first line runs; none of it would be what was pinned.
bool is_loader_variable(const std::string& key) { return key.rfind("LD_", 0) == 0; }

void check_interpreted(Checker& check, const Manifest& m) {
  if (!is_pinnable_absolute_path(m.interpreter)) {
    check.fail("interpreter",
               "must be the interpreter's absolute path, normalized, of [A-Za-z0-9._+-/], such "
               "as \"/usr/bin/python3\" (got " + json_excerpt(m.interpreter) + ")");
  }
  if (m.endpoint.empty()) {
    check.fail("endpoint", "is required with \"interpreter\": the script to run, relative to "
                           "the manifest's folder, such as \"main.py\"");
  } else if (!is_pinnable_relative_path(m.endpoint)) {
    check.fail("endpoint",
               "the script of an interpreted plugin must be a relative path without \".\", "
               "\"..\" or empty components, of [A-Za-z0-9._+-/] (got " + json_excerpt(m.endpoint) +
                   ")");
  }
  for (size_t i = 0; i < m.files.size(); ++i) {
    const std::string& f = m.files[i];
    if (!f.empty() && f.front() == '/') {
      check.fail("files[" + std::to_string(i) + "]",
                 "must be relative to the manifest's folder; an absolute path is refused (got " +
                     json_excerpt(f) + ")");
    } else if (!is_pinnable_relative_path(f)) {
      check.fail("files[" + std::to_string(i) + "]",
                 "must be a relative path inside the plugin's folder, without \".\", \"..\" or "
                 "empty components, of [A-Za-z0-9._+-/] (got " + json_excerpt(f) + ")");
    }
  }
  for (const auto& [key, value] : m.env) {
    if (is_loader_variable(key)) {
      check.fail(key_path("env", key), "the dynamic loader's variables load code the whitelist "
                                       "does not pin; refused for an interpreted plugin");
    }
  }
}

}  // namespace

Status validate_manifest(const Manifest& m, Problems* problems) {
  Problems local;
  Problems& found = problems != nullptr ? *problems : local;
  size_t first = found.size();
  Checker check(m, found);

  if (m.interpreter.empty() && !m.files.empty()) {
    check.fail("files", "is for interpreted plugins: name the \"interpreter\" too, or leave "
                        "\"files\" out (a binary's endpoint is pinned alone)");
  }
  // The name is looked up in the whitelist and used in logs and paths: the
  // same grammar as the whitelist's, or a manifest could never be pinned.
  if (!is_valid_plugin_name(m.name)) {
    check.fail("name", "must be 1 to 128 of [A-Za-z0-9._-], not starting with '.' or '-' (got " +
                           json_excerpt(m.name) + ")");
  }
  check.printable("version", m.version);
  check.printable("description", m.description);
  check.printable("author", m.author);
  for (size_t i = 0; i < m.capabilities.size(); ++i) {
    check.printable("capabilities[" + std::to_string(i) + "]", m.capabilities[i]);
  }
  if (!m.endpoint.empty() && !is_contained_relative_path(m.endpoint)) {
    check.fail("endpoint",
               "must be a path relative to the manifest's folder, without \"..\" components "
               "(got " + json_excerpt(m.endpoint) + ")");
  }
  if (!m.interpreter.empty()) check_interpreted(check, m);
  for (const auto& [key, value] : m.env) {
    std::string path = key_path("env", key);
    if (!is_env_key(key)) {
      check.fail(path, "variable names must match [A-Za-z_][A-Za-z0-9_]*");
    } else if (key.rfind("STOCKADE_", 0) == 0) {
      // The runtime passes its own variables (the handshake cookie) under this prefix.
      check.fail(path, "names starting with STOCKADE_ are reserved for the supervisor");
    }
  }
  for (size_t i = 0; i < m.sandbox.readonly_paths.size(); ++i) {
    const auto& p = m.sandbox.readonly_paths[i];
    if (!is_normalized_absolute_path(p)) {
      check.fail("sandbox.readonly_paths[" + std::to_string(i) + "]",
                 "must be an absolute path without \".\", \"..\" or empty components (got " +
                     json_excerpt(p) + ")");
    }
  }
  for (size_t i = 0; i < m.sandbox.extra_syscalls.size(); ++i) {
    const auto& s = m.sandbox.extra_syscalls[i];
    if (!is_syscall_name(s)) {
      check.fail("sandbox.extra_syscalls[" + std::to_string(i) + "]",
                 "must be a syscall name such as \"sched_setaffinity\" (got " + json_excerpt(s) +
                     ")");
    }
  }
  // The plugin maps a request's payload and builds its answer in its own
  // address space, which RLIMIT_AS holds to twice max_memory_mb.
  if (m.execute.max_payload_mb > m.resources.max_memory_mb) {
    check.fail("execute.max_payload_mb",
               "must not exceed resources.max_memory_mb (" + std::to_string(m.resources.max_memory_mb) +
                   "): the plugin maps each payload and builds its answer in its own memory");
  }
  // RLIMIT_FSIZE bounds writes to memfds too: a larger answer would kill
  // the plugin with SIGXFSZ.
  if (m.execute.max_payload_mb > m.resources.max_file_size_mb) {
    check.fail("execute.max_payload_mb",
               "must not exceed resources.max_file_size_mb (" + std::to_string(m.resources.max_file_size_mb) +
                   "): the plugin writes each large answer into a memfd, and the kernel holds memfds to "
                   "the file size limit");
  }
  if (m.retry.initial_backoff_ms > m.retry.max_backoff_ms) {
    check.fail("retry.initial_backoff_ms", "must not exceed retry.max_backoff_ms (" +
                                               std::to_string(m.retry.max_backoff_ms) + ")");
  }
  // A check that may take longer than the gap between checks would overlap the next one.
  if (m.health.timeout_ms >= m.health.interval_ms) {
    check.fail("health.timeout_ms", "must be below health.interval_ms (" +
                                        std::to_string(m.health.interval_ms) + ")");
  }
  for (const auto& [key, value] : m.metadata) {
    check.printable(key_path("metadata", key), key + value);
  }

  if (found.size() > first) return found[first];
  return {};
}

}  // namespace stockade::supervisor
