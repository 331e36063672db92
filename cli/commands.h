// The `stockade` subcommands. Each takes the arguments after its own name and
// returns the process exit code.
#pragma once

#include <span>
#include <string>

namespace stockade::supervisor {

// Exit codes shared by `jail` and `call` (DESIGN.md "Command line"); a
// child's own code or 128+N pass through unchanged.
inline constexpr int kExitDeadline = 124;    // jail: the wall-clock limit; call: DEADLINE_EXCEEDED
inline constexpr int kExitOwnFailure = 125;  // bad manifest, config, usage, sandbox setup
inline constexpr int kExitRefused = 126;     // not whitelisted, not executable, beyond a ceiling
inline constexpr int kExitNotFound = 127;    // the binary does not exist

int run_jail(std::span<const std::string> args);
int run_check(std::span<const std::string> args);
int run_call(std::span<const std::string> args);

}  // namespace stockade::supervisor
