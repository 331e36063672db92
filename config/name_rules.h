// The grammar of names and paths that manifests and configs may contain.
// Pure string checks; nothing here touches the filesystem.
#pragma once

#include <string_view>

namespace stockade::supervisor {

// "/a/b": absolute, no empty, "." or ".." components, no trailing slash
// (except "/" itself). Prefix checks on such paths cannot be fooled by "..".
bool is_normalized_absolute_path(std::string_view path);

// "bin/plugin", "./plugin": relative, no ".." component, not empty, so that it
// stays inside the folder it is resolved against.
bool is_contained_relative_path(std::string_view path);

// True if `path` is `prefix` or below it, by whole components ("/opt/data"
// contains "/opt/data/x", not "/opt/database"). Both normalized absolute.
bool path_is_within(std::string_view path, std::string_view prefix);

// An environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool is_env_key(std::string_view key);

// A syscall name as libseccomp spells it: [a-z0-9_], 1..64, starting with a letter.
bool is_syscall_name(std::string_view name);

// No control characters (C0, DEL): text that ends up in logs and terminals.
bool is_printable_text(std::string_view text);

}  // namespace stockade::supervisor
