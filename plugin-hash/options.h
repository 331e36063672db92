// plugin-hash's command line, parsed by hand (three options do not justify a
// dependency). Parsing is separate from running so it can be reasoned about
// on its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "stockade/result.h"

namespace stockade::plugin_hash {

// Exit codes: stockade's one table (cli/exit_codes.h), printed by --help and
// documented in docs/operators.md ("Exit codes").
inline constexpr int kExitOk = supervisor::kExitOk;
inline constexpr int kExitMismatch = supervisor::kExitNo;
inline constexpr int kExitUsage = supervisor::kExitOwnFailure;  // also: unreadable input, malformed whitelist
inline constexpr int kExitRefused = supervisor::kExitRefused;   // a whitelist others could write

struct Options {
  bool help = false;
  std::optional<std::string> name;       // --name: the name for every FILE
  std::optional<std::string> whitelist;  // --check: verify instead of print
  std::optional<std::string> plugin;     // --plugin: every line a plugin folder needs
  std::vector<std::string> files;
};

// argv without the program name. Errors are usage errors (Errc::invalid_input).
Result<Options> parse_options(const std::vector<std::string>& args);

// Without the exit codes, which come from the table.
extern const char* const kHelpText;

}  // namespace stockade::plugin_hash
