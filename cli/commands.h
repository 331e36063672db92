// The `stockade` subcommands. Each takes the arguments after its own name and
// returns the process exit code.
#pragma once

#include <span>
#include <string>

#include "cli/exit_codes.h"  // every command returns one of these

namespace stockade::supervisor {

int run_jail(std::span<const std::string> args);
int run_check(std::span<const std::string> args);
int run_call(std::span<const std::string> args);

}  // namespace stockade::supervisor
