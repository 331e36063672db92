// plugin-hash's command line, parsed by hand (three options do not justify a
// dependency). Parsing is separate from running so it can be reasoned about
// on its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stockade/result.h"

namespace stockade::plugin_hash {

// Exit codes; documented in --help and docs/operators.md ("Whitelist and plugin-hash").
inline constexpr int kExitOk = 0;
inline constexpr int kExitMismatch = 1;
inline constexpr int kExitUsage = 2;  // also: unreadable input, malformed whitelist

struct Options {
  bool help = false;
  std::optional<std::string> name;       // --name: the name for every FILE
  std::optional<std::string> whitelist;  // --check: verify instead of print
  std::vector<std::string> files;
};

// argv without the program name. Errors are usage errors (Errc::invalid_input).
Result<Options> parse_options(const std::vector<std::string>& args);

extern const char* const kHelpText;

}  // namespace stockade::plugin_hash
