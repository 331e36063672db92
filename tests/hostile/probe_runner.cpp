#include "tests/hostile/probe_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "base/unique_fd.h"
#include "tests/support/host_processes.h"
#include "whitelist/whitelist.h"

namespace stockade::hostile {

namespace {

constexpr size_t kMaxOutput = 64 * 1024;

// Reads what the probe printed. Runs after the sandbox is gone, so the write
// end is closed everywhere unless a process escaped: hence the deadline.
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 2000) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxOutput) break;
  }
  return out;
}

}  // namespace

sandbox::Policy hostile_policy() {
  sandbox::Policy policy;
  policy.env = {kProbeEnvironment};
  policy.limits.memory_bytes = HostileLimits::memory;
  policy.limits.cpu_seconds = HostileLimits::cpu_seconds;
  policy.limits.processes = HostileLimits::processes;
  policy.limits.open_files = HostileLimits::open_files;
  policy.limits.file_size_bytes = HostileLimits::file_size;
  policy.tmp_bytes = HostileLimits::tmp;
  return policy;
}

std::string probe_path(const std::string& probe) {
  const char* dir = std::getenv("STOCKADE_HOSTILE_PROBE_DIR");
  return std::string(dir != nullptr ? dir : STOCKADE_HOSTILE_PROBE_DIR) + "/" + probe;
}

std::string ProbeRun::summary() const {
  std::ostringstream out;
  if (!spawned) {
    out << "spawn failed: " << spawn_error;
    return out.str();
  }
  out << "status: " << status.describe() << "\noutput: " << output;
  if (!leftover_processes.empty()) out << "\nleftover processes: " << leftover_processes.size();
  if (!leaked_host_fds.empty()) out << "\nleaked host fds: " << leaked_host_fds.size();
  return out.str();
}

ProbeRun run_probe(const ProbeRequest& request) {
  ProbeRun run;
  std::vector<int> fds_before = testing::open_fds();
  // Held open until the check for leftovers (hold_pid_namespace says why).
  std::optional<testing::HeldPidNamespace> held_namespace;
  {
    auto binary = VerifiedBinary::unverified(probe_path(request.probe), request.probe,
                                             VerifiedBinary::DangerousDevelopmentMode{});
    if (!binary) {
      run.spawn_error = binary.error().message();
      return run;
    }
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
      run.spawn_error = "pipe2 failed";
      return run;
    }
    UniqueFd out_read(pipe_fds[0]);
    UniqueFd out_write(pipe_fds[1]);
    UniqueFd dev_null(open("/dev/null", O_RDWR | O_CLOEXEC));

    sandbox::Policy policy = request.policy;
    policy.argv = {request.probe};
    policy.argv.insert(policy.argv.end(), request.args.begin(), request.args.end());
    std::vector<sandbox::FdMapping> fds = request.fds;
    bool stdin_mapped = std::any_of(fds.begin(), fds.end(),
                                    [](const sandbox::FdMapping& m) { return m.child_fd == 0; });
    if (!stdin_mapped) fds.push_back({dev_null.get(), 0});
    fds.push_back({out_write.get(), 1});
    fds.push_back({out_write.get(), 2});

    {
      auto child = sandbox::spawn(*binary, policy, fds);
      out_write.reset();
      if (!child) {
        run.spawn_error = child.error().message();
        return run;
      }
      run.spawned = true;
      held_namespace = testing::hold_pid_namespace(child->pid());
      if (held_namespace) run.pid_namespace = held_namespace->name;
      auto status = child->wait(request.timeout);
      if (status) {
        run.status = *status;
      } else {
        run.status.kind = sandbox::ExitStatus::Kind::killed;
        run.spawn_error = "wait failed: " + status.error().message();
      }
    }  // ~Child: kills and reaps whatever is left of the sandbox.
    run.output = drain(out_read.get());
  }
  if (run.pid_namespace) run.leftover_processes = testing::processes_in_pid_namespace(*run.pid_namespace);
  held_namespace.reset();
  for (int fd : testing::open_fds()) {
    if (std::find(fds_before.begin(), fds_before.end(), fd) == fds_before.end()) run.leaked_host_fds.push_back(fd);
  }
  return run;
}

}  // namespace stockade::hostile

namespace stockade::hostile {

namespace {

// The helper's side: spawn, wait for the ready line, report "pid ns line".
[[noreturn]] void supervise_and_die(const std::string& probe, const std::vector<std::string>& args,
                                   const std::string& ready_prefix, int report) {
  auto binary = VerifiedBinary::unverified(probe_path(probe), probe, VerifiedBinary::DangerousDevelopmentMode{});
  int out[2];
  if (!binary || pipe2(out, O_CLOEXEC) != 0) _exit(3);
  int dev_null = open("/dev/null", O_RDWR | O_CLOEXEC);
  sandbox::Policy policy = hostile_policy();
  policy.argv = {probe};
  policy.argv.insert(policy.argv.end(), args.begin(), args.end());
  auto child = sandbox::spawn(*binary, policy, {{dev_null, 0}, {out[1], 1}, {out[1], 2}});
  if (!child) _exit(4);
  close(out[1]);
  std::string ns = testing::pid_namespace_of(child->pid()).value_or("-");
  std::string line;
  char c;
  pollfd pfd{out[0], POLLIN, 0};
  while (line.size() < 256 && poll(&pfd, 1, 5000) > 0 && read(out[0], &c, 1) == 1 && c != '\n') line += c;
  std::string message = std::to_string(child->pid()) + " " + ns + " " + line;
  ssize_t ignored = write(report, message.data(), message.size());
  (void)ignored;
  // Die like a crashed supervisor: the Child's destructor never runs.
  _exit(line.rfind(ready_prefix, 0) == 0 ? 0 : 5);
}

}  // namespace

SupervisorDeath run_and_kill_supervisor(const std::string& probe, const std::vector<std::string>& args,
                                        const std::string& ready_prefix) {
  SupervisorDeath death;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    death.error = "pipe2 failed";
    return death;
  }
  pid_t helper = fork();
  if (helper == 0) {
    close(report[0]);
    supervise_and_die(probe, args, ready_prefix, report[1]);
  }
  close(report[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = read(report[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<size_t>(n));
  close(report[0]);
  int status = 0;
  waitpid(helper, &status, 0);
  size_t first = message.find(' ');
  size_t second = message.find(' ', first + 1);
  if (helper < 0 || first == std::string::npos || second == std::string::npos) {
    death.error = "helper failed (status " + std::to_string(status) + "): " + message;
    return death;
  }
  pid_t plugin = std::atoi(message.substr(0, first).c_str());
  std::string ns = message.substr(first + 1, second - first - 1);
  death.line = message.substr(second + 1);

  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, plugin, 0)));
  // Held from here (hold_pid_namespace says why): the pidfd makes sure the
  // process read is the plugin, not a later one with its pid.
  auto held = pidfd ? testing::hold_pid_namespace(plugin) : std::nullopt;
  if (held && held->name != ns) held.reset();
  if (!pidfd) {
    death.plugin_died = errno == ESRCH;
  } else {
    pollfd pfd{pidfd.get(), POLLIN, 0};
    death.plugin_died = poll(&pfd, 1, 2000) > 0;
    if (ns != "-") death.leftovers = testing::processes_in_pid_namespace(ns);
    if (!death.plugin_died) {
      // The test cleans up what the sandbox left behind.
      syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
      poll(&pfd, 1, 2000);
    }
  }
  return death;
}

}  // namespace stockade::hostile
