#include "test_files.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "base/unique_fd.h"

namespace stockade::testing_support {

// Test setup failures are not what the tests are about: they throw, and
// GoogleTest reports the exception as a failure of the test that hit it.
ScratchDir::ScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/stockade-wl-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw std::runtime_error("cannot create " + path);
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) throw std::runtime_error("cannot write " + path);
    done += static_cast<size_t>(n);
  }
  // open() applies the umask; the tests need the exact mode.
  if (fchmod(fd.get(), mode) != 0) throw std::runtime_error("cannot chmod " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void copy_file(const std::string& from, const std::string& to, mode_t mode) {
  write_file(to, read_file(from), mode);
}

Sha256Digest sha256_of_path(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw std::runtime_error("cannot open " + path);
  auto digest = sha256_of_fd(fd.get());
  if (!digest) throw std::runtime_error(digest.error().message());
  return *digest;
}

std::string run_fd(int fd, bool use_fexecve) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  // Everything the child touches is prepared before fork.
  char arg0[] = "probe";
  char* argv[] = {arg0, nullptr};
  char* envp[] = {nullptr};
  char empty[] = "";
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (dup2(write_end.get(), STDOUT_FILENO) < 0) _exit(120);
    if (use_fexecve) {
      fexecve(fd, argv, envp);
    } else {
      syscall(SYS_execveat, fd, empty, argv, envp, AT_EMPTY_PATH);
    }
    // Only async-signal-safe calls after fork: format errno by hand.
    int err = errno;
    char msg[] = "exec failed: 000";
    for (size_t i = sizeof msg - 2; err > 0 && i >= sizeof msg - 4; --i, err /= 10) {
      msg[i] = static_cast<char>('0' + err % 10);
    }
    (void)!write(STDOUT_FILENO, msg, sizeof msg - 1);
    _exit(121);
  }
  write_end.reset();
  std::string out;
  char buf[256];
  for (;;) {
    const ssize_t n = read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  return out;
}

}  // namespace stockade::testing_support
