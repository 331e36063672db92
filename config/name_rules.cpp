#include "config/name_rules.h"

namespace stockade::supervisor {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Calls `component` for each "/"-separated piece; false as soon as one fails.
template <typename F>
bool all_components(std::string_view path, F&& component) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (!component(path.substr(start, end - start))) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

bool is_normalized_absolute_path(std::string_view path) {
  if (path == "/") return true;
  if (path.size() < 2 || path.front() != '/') return false;
  return all_components(path.substr(1), [](std::string_view c) {
    return !c.empty() && c != "." && c != ".." && c.find('\0') == std::string_view::npos;
  });
}

bool is_contained_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  bool names_something = false;
  bool ok = all_components(path, [&](std::string_view c) {
    if (c == ".." || c.find('\0') != std::string_view::npos) return false;
    if (!c.empty() && c != ".") names_something = true;
    return true;
  });
  return ok && names_something && path.back() != '/';
}

bool path_is_within(std::string_view path, std::string_view prefix) {
  if (path.empty()) return false;
  if (prefix == "/") return path.front() == '/';
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool is_env_key(std::string_view key) {
  if (key.empty() || is_digit(key.front())) return false;
  for (char c : key) {
    if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

bool is_syscall_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !(name.front() >= 'a' && name.front() <= 'z')) {
    return false;
  }
  for (char c : name) {
    if (!(c >= 'a' && c <= 'z') && !is_digit(c) && c != '_') return false;
  }
  return true;
}

bool is_printable_text(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    // Bytes >= 0x80 are UTF-8 (already validated by the JSON parser); only
    // the C0 controls and DEL can move a terminal's cursor or rewrite a line.
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace stockade::supervisor
