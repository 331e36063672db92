// Running a program as a user runs it: argv, a fixed environment, stdin from
// a string, stdout and stderr collected, the exit code as a shell reports it.
#pragma once

#include <string>
#include <vector>

namespace stockade::testing {

struct CommandOutcome {
  int code = -1;  // exit code, or 128+N when signal N ended it
  std::string out;
  std::string err;
};

// Runs argv[0] (a path, not looked up in PATH) with PATH=/usr/bin:/bin only.
// Throws std::runtime_error when it cannot be started.
CommandOutcome run_command(const std::vector<std::string>& argv, const std::string& input = {});

}  // namespace stockade::testing
