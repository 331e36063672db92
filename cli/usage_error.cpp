#include "cli/usage_error.h"

#include <cstdio>

#include "cli/exit_codes.h"

namespace stockade::supervisor {

void print_line(const std::string& line) { std::fprintf(stderr, "stockade: %s\n", line.c_str()); }

int usage_error(std::string_view command, const std::string& message) {
  print_line(message + " (see stockade " + std::string(command) + " --help)");
  return kExitOwnFailure;
}

}  // namespace stockade::supervisor
