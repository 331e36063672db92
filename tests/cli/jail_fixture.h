// The harness of the `stockade jail` tests: run the real program as a user
// runs it (as root, and as uid 65534 through setpriv), with stdio of the
// test's choosing (pipes by default, or a file, socket or terminal of the
// test's own).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.h"

namespace stockade::jailtest {

struct Outcome {
  int code = -1;
  std::string out;  // captured when the test gave no stdout of its own
  std::string err;  // captured when the test gave no stderr of its own
};

// The command's stdio; -1 is a pipe the harness feeds (stdin) or collects.
// `extra` maps descriptors of the test's to numbers in the command.
struct Stdio {
  explicit Stdio(int in_fd = -1, int out_fd = -1, int err_fd = -1,
                 std::vector<std::pair<int, int>> extra_fds = {})
      : in(in_fd), out(out_fd), err(err_fd), extra(std::move(extra_fds)) {}
  int in;
  int out;
  int err;
  std::vector<std::pair<int, int>> extra;  // {test's fd, the command's fd}
};

Outcome run_command(const std::vector<std::string>& argv, const std::string& input = {},
                    const Stdio& stdio = Stdio());

void copy_executable(const std::string& from, const std::string& to);
std::string digest_line(const std::string& path, const std::string& name);

enum class As { root, nobody };

class Jail : public ::testing::TestWithParam<As> {
 protected:
  void SetUp() override;

  // The unprivileged case: as root, switch to uid 65534 with setpriv; run by
  // an ordinary user, the suite already is unprivileged and runs as itself.
  bool switches_to_nobody() const { return GetParam() == As::nobody && ::geteuid() == 0; }

  // stockade jail --whitelist WL <options...> -- <command...>
  Outcome jail(const std::vector<std::string>& options, const std::vector<std::string>& command,
               const std::string& input = {}, const Stdio& stdio = Stdio());

  std::string probe() const { return dir_.file("jail_probe"); }
  // A directory the uid running stockade may create files in.
  std::string writable_dir() const { return dir_.file("rw"); }
  // A file or terminal of the operator's: owned by the uid running stockade.
  void give_to_operator(int fd) const;

  testing::TempDir dir_{"stockade-jail-", 0755};
};

// Root runs both cases; an ordinary user can only run the unprivileged one.
std::vector<As> identities();
std::string identity_name(const ::testing::TestParamInfo<As>& info);

}  // namespace stockade::jailtest
