// The two kinds of line the subcommands print on stderr themselves.
#pragma once

#include <string>
#include <string_view>

namespace stockade::supervisor {

// Prints "stockade: LINE". stderr escapes what it is given (cli/stderr_text.h):
// a manifest's value or a path cannot carry terminal escapes into it.
void print_line(const std::string& line);

// Prints "stockade: MESSAGE (see stockade COMMAND --help)" and returns
// kExitOwnFailure, the exit code of a usage error.
int usage_error(std::string_view command, const std::string& message);

}  // namespace stockade::supervisor
