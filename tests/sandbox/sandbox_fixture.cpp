#include "tests/sandbox/sandbox_fixture.h"
#include "base/error.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

#include "whitelist/whitelist.h"

namespace stockade::sandbox::test {

std::string probe_path() {
  char self[PATH_MAX] = {};
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path(self, n > 0 ? static_cast<size_t>(n) : 0);
  return path.substr(0, path.rfind('/')) + "/sandbox_probe";
}

std::string python_path() {
  char resolved[PATH_MAX] = {};
  if (realpath("/usr/bin/python3", resolved) == nullptr) return "/usr/bin/python3";
  return resolved;
}

bool running_as_root() { return geteuid() == 0; }

Policy policy_for(std::vector<std::string> argv) {
  Policy policy;
  policy.argv = std::move(argv);
  policy.limits.cpu_seconds = 5;
  return policy;
}

namespace {

Result<Started> start(const Policy& policy, const std::string& binary) {
  auto verified = VerifiedBinary::unverified(binary, "sandbox-test",
                                             VerifiedBinary::DangerousDevelopmentMode{});
  if (!verified) return std::move(verified).error();
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return sys_error("pipe2");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  UniqueFd dev_null(open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto child = spawn(*verified, policy,
                     {{dev_null.get(), 0}, {write_end.get(), 1}, {write_end.get(), 2}});
  if (!child) return std::move(child).error();
  return Started{std::move(*child), std::move(read_end)};
}

}  // namespace

std::string Started::read_line(std::chrono::milliseconds timeout) {
  std::string line;
  char c = 0;
  for (;;) {
    pollfd pfd{output.get(), POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return line;
    if (read(output.get(), &c, 1) != 1 || c == '\n') return line;
    line += c;
  }
}

Result<Started> start_sandboxed(const Policy& policy, const std::string& binary) {
  return start(policy, binary);
}

SandboxRun run_sandboxed(const Policy& policy, const std::string& binary,
                  std::chrono::milliseconds timeout) {
  SandboxRun run;
  auto started = start(policy, binary);
  if (!started) {
    run.status = std::move(started).error();
    return run;
  }
  run.applied = started->child.applied();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    // A forbidden syscall blocks its caller until the violation is handled
    // (which kills the sandbox and so ends the output).
    pollfd pfds[2] = {{started->output.get(), POLLIN, 0},
                      {started->child.violation_fd(), POLLIN, 0}};
    if (poll(pfds, 2, static_cast<int>(left.count())) <= 0) break;
    if (pfds[1].revents != 0) started->child.handle_violation();
    if (!(pfds[0].revents & (POLLIN | POLLHUP))) continue;
    ssize_t n = read(started->output.get(), buffer, sizeof(buffer));
    if (n <= 0) break;
    run.output.append(buffer, static_cast<size_t>(n));
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  run.status = started->child.wait(std::max(left, std::chrono::milliseconds(1)));
  return run;
}

}  // namespace stockade::sandbox::test
