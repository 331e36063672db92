// The whitelist's label grammar (pinned_label.h).
#include "whitelist/pinned_label.h"

#include "whitelist/whitelist.h"

namespace stockade {
namespace {

bool is_path_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-' || c == '+';
}

}  // namespace

bool is_pinnable_relative_path(std::string_view path) {
  if (path.empty() || path.size() > kMaxPinnedPathBytes) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view part = path.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (!is_path_char(c)) return false;
    }
    start = slash + 1;
  }
  return true;
}

bool is_pinnable_absolute_path(std::string_view path) {
  return path.size() >= 2 && path.front() == '/' && is_pinnable_relative_path(path.substr(1));
}

std::string file_label(std::string_view plugin, std::string_view relative) {
  return std::string(plugin) + "/" + std::string(relative);
}

std::string interpreter_label(std::string_view plugin, std::string_view absolute) {
  return std::string(plugin) + "@" + std::string(absolute);
}

bool is_valid_label(std::string_view label) {
  const size_t cut = label.find_first_of("/@");
  if (cut == std::string_view::npos) return is_valid_plugin_name(label);
  if (!is_valid_plugin_name(label.substr(0, cut))) return false;
  if (label[cut] == '/') return is_pinnable_relative_path(label.substr(cut + 1));
  return is_pinnable_absolute_path(label.substr(cut + 1));
}

}  // namespace stockade
