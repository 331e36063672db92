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
// The daemon, `stockade serve` (cli/serve.cpp; the work is daemon/'s).
int run_serve(std::span<const std::string> args);
// Clients of a running `stockade serve` (cli/status.cpp, cli/admin_commands.cpp).
int run_status(std::span<const std::string> args);
int run_reload(std::span<const std::string> args);
int run_restart(std::span<const std::string> args);
int run_metrics(std::span<const std::string> args);
// Drives one plugin through the wire protocol's cases (cli/conformance.cpp).
int run_conformance(std::span<const std::string> args);

}  // namespace stockade::supervisor
