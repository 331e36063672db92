#include "tests/cli/jail_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "whitelist/whitelist.h"

namespace stockade::jailtest {

Outcome run_command(const std::vector<std::string>& argv, const std::string& input,
                    const Stdio& stdio) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return {};
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    // Every source moved above the targets first, so no dup2 clobbers one.
    std::vector<std::pair<int, int>> moves = {{stdio.in >= 0 ? stdio.in : in[0], 0},
                                              {stdio.out >= 0 ? stdio.out : out[1], 1},
                                              {stdio.err >= 0 ? stdio.err : err[1], 2}};
    moves.insert(moves.end(), stdio.extra.begin(), stdio.extra.end());
    for (auto& [from, to] : moves) from = ::fcntl(from, F_DUPFD_CLOEXEC, 100);
    for (const auto& [from, to] : moves) ::dup2(from, to);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    char* envp[] = {const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    ::execve(args[0], args.data(), envp);
    ::_exit(99);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!input.empty()) {
    EXPECT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  }
  ::close(in[1]);
  Outcome result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      } else {
        sinks[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

void copy_executable(const std::string& from, const std::string& to) {
  testing::write_file(to, testing::read_file(from), 0755);
}

std::string digest_line(const std::string& path, const std::string& name) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  auto digest = sha256_of_fd(fd);
  ::close(fd);
  EXPECT_TRUE(digest);
  return to_hex(*digest) + "  " + name + "\n";
}

void Jail::SetUp() {
  // STOCKADE_TEST_BINARY runs the suite against another build (an older
  // one, to see a test fail before its fix).
  const char* other = std::getenv("STOCKADE_TEST_BINARY");
  copy_executable(other != nullptr && *other != '\0' ? other : STOCKADE_BIN, dir_.file("stockade"));
  copy_executable(JAIL_PROBE, dir_.file("jail_probe"));
  copy_executable(JAIL_PROBE, dir_.file("unpinned_probe"));
  testing::write_file(dir_.file("whitelist"), digest_line(dir_.file("jail_probe"), "jail_probe") +
                                                  digest_line(dir_.file("jail_probe"), "calc"));
  ASSERT_EQ(::mkdir(writable_dir().c_str(), 0700), 0);
  if (switches_to_nobody()) {
    ASSERT_EQ(::chown(writable_dir().c_str(), 65534, 65534), 0);
  }
}

void Jail::give_to_operator(int fd) const {
  if (switches_to_nobody()) {
    ASSERT_EQ(::fchown(fd, 65534, 65534), 0);
  }
}

Outcome Jail::jail(const std::vector<std::string>& options, const std::vector<std::string>& command,
                   const std::string& input, const Stdio& stdio) {
  std::vector<std::string> argv;
  if (switches_to_nobody()) {
    argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  argv.push_back(dir_.file("stockade"));
  argv.push_back("jail");
  argv.push_back("--whitelist");
  argv.push_back(dir_.file("whitelist"));
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return run_command(argv, input, stdio);
}

std::vector<As> identities() {
  if (::geteuid() == 0) return {As::root, As::nobody};
  return {As::nobody};
}

std::string identity_name(const ::testing::TestParamInfo<As>& info) {
  return info.param == As::root ? "root" : "uid65534";
}

}  // namespace stockade::jailtest
