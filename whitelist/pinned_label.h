// The labels a whitelist line pins a digest under. Three forms, told apart by
// the first '/' or '@' (a plugin name holds neither):
//
//   NAME                 the plugin's endpoint: its binary, or its script
//   NAME/REL/PATH        a file of an interpreted plugin (manifest "files"),
//                        relative to the plugin's folder: what `sha256sum
//                        NAME/REL/PATH` prints when the folder is named NAME
//   NAME@/ABS/PATH       the interpreter an interpreted plugin names
//
// Paths in labels are normalized (no empty, "." or ".." components, no
// trailing '/') and made of [A-Za-z0-9._+-] and '/': no spaces, no bytes a
// terminal or a line-based format could misread.
#pragma once

#include <string>
#include <string_view>

namespace stockade {

inline constexpr size_t kMaxPinnedPathBytes = 512;

// A relative path for a "files" entry or an endpoint: 1..512 bytes, the
// grammar above, no leading '/'.
bool is_pinnable_relative_path(std::string_view path);
// An absolute path for an interpreter: '/' then a pinnable relative path.
bool is_pinnable_absolute_path(std::string_view path);

// "NAME/REL" and "NAME@/ABS". The caller has checked the parts.
std::string file_label(std::string_view plugin, std::string_view relative);
std::string interpreter_label(std::string_view plugin, std::string_view absolute);

// True for any of the three forms with valid parts.
bool is_valid_label(std::string_view label);

}  // namespace stockade
