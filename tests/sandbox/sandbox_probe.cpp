// sandbox_probe: a small program the sandbox tests run inside the sandbox.
// One behaviour per invocation, chosen by argv[1]; results on stdout. It
// checks the sandbox's own promises (what it sees, what it may do); attack
// probes live in tests/hostile/.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

int usage() {
  std::cerr << "usage: sandbox_probe COMMAND [ARGS]\n";
  return 64;
}

void print_file(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::cout << "cannot open " << path << ": " << std::strerror(errno) << "\n";
    return;
  }
  std::cout << in.rdbuf();
}

// Prints "<path> ok" or "<path> <strerror>" for a write attempt.
void try_write(const char* path, size_t bytes) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::cout << "open " << path << ": " << std::strerror(errno) << "\n";
    return;
  }
  std::string chunk(64 * 1024, 'x');
  size_t done = 0;
  while (done < bytes) {
    size_t n = std::min(chunk.size(), bytes - done);
    ssize_t w = write(fd, chunk.data(), n);
    if (w < 0) {
      std::cout << "write " << path << ": " << std::strerror(errno) << " after " << done << "\n";
      close(fd);
      return;
    }
    done += static_cast<size_t>(w);
  }
  close(fd);
  std::cout << "wrote " << path << " " << done << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  if (cmd == "exit") return std::atoi(arg);
  if (cmd == "segv") {
    std::cout << std::flush;
    *static_cast<volatile int*>(nullptr) = 1;
    return 99;
  }
  // Signals the probe sends itself: the kernel would drop them for a pid
  // namespace's init without a handler; the plugin is pid 2, so they land.
  if (cmd == "abort") std::abort();
  if (cmd == "raise") {
    std::raise(std::atoi(arg));
    return 99;
  }
  if (cmd == "argv") {
    for (int i = 0; i < argc; ++i) std::cout << "[" << argv[i] << "]\n";
    return 0;
  }
  if (cmd == "env") {
    for (char** e = environ; *e != nullptr; ++e) std::cout << *e << "\n";
    return 0;
  }
  if (cmd == "fds") {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return 2;
    int own = dirfd(dir);
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      int fd = std::atoi(entry->d_name);
      if (fd != own) std::cout << fd << "\n";
    }
    closedir(dir);
    return 0;
  }
  if (cmd == "cat") {
    print_file(arg);
    return 0;
  }
  if (cmd == "write") {
    try_write(arg, argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1);
    return 0;
  }
  if (cmd == "ids") {
    std::cout << "uid " << getuid() << " gid " << getgid() << " pid " << getpid() << " ppid "
              << getppid() << "\n";
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    std::cout << "hostname " << host << "\n";
    char cwd[4096] = {};
    if (getcwd(cwd, sizeof(cwd)) != nullptr) std::cout << "cwd " << cwd << "\n";
    return 0;
  }
  if (cmd == "ls") {
    DIR* dir = opendir(arg);
    if (dir == nullptr) {
      std::cout << "opendir " << arg << ": " << std::strerror(errno) << "\n";
      return 0;
    }
    while (dirent* entry = readdir(dir)) std::cout << entry->d_name << "\n";
    closedir(dir);
    return 0;
  }
  if (cmd == "ptrace") {
    // A forbidden syscall: the supervisor must name it.
    long rc = ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    std::cout << "ptrace returned " << rc << "\n";
    return 0;
  }
  if (cmd == "sleep") {
    sleep(static_cast<unsigned>(std::atoi(arg)));
    return 0;
  }
  if (cmd == "orphans") {
    // N children that each leave an orphan behind (re-parented to pid 1,
    // stockade-init) and exit; the orphans exit soon after. Then counts the
    // zombies left in the namespace.
    int n = std::atoi(arg);
    for (int i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        if (fork() == 0) {
          usleep(20000);
          _exit(0);
        }
        _exit(0);
      }
      if (pid < 0) return 1;
      waitpid(pid, nullptr, 0);
    }
    usleep(300000);
    int zombies = 0;
    DIR* dir = opendir("/proc");
    if (dir == nullptr) return 1;
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
      std::string line;
      if (!std::getline(stat, line)) continue;
      size_t close = line.rfind(')');
      if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') ++zombies;
    }
    closedir(dir);
    std::cout << "zombies " << zombies << std::endl;
    return 0;
  }
  if (cmd == "tree") {
    // N children (each with a grandchild) that sleep, then report ready.
    // "ready" only once every grandchild exists: after the inner fork both
    // the child and its grandchild write a byte, so 2N bytes mean all 2N
    // processes exist (N bytes could all come from a few of the pairs).
    int n = std::atoi(arg);
    int ready[2];
    if (pipe(ready) != 0) return 1;
    for (int i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        if (fork() < 0) _exit(1);
        char byte = 'r';
        if (write(ready[1], &byte, 1) != 1) _exit(1);
        pause();
        _exit(0);
      }
      if (pid < 0) {
        std::cout << "fork failed: " << std::strerror(errno) << "\n";
        return 1;
      }
    }
    for (int i = 0; i < 2 * n; ++i) {
      char byte = 0;
      if (read(ready[0], &byte, 1) != 1) return 1;
    }
    std::cout << "ready" << std::endl;
    pause();
    return 0;
  }
  if (cmd == "forks") {
    // Forks until fork fails; prints how many succeeded (children sleep).
    int count = 0;
    for (; count < 10000; ++count) {
      pid_t pid = fork();
      if (pid == 0) {
        pause();
        _exit(0);
      }
      if (pid < 0) break;
    }
    std::cout << "forked " << count << "\n" << std::flush;
    return 0;
  }
  if (cmd == "spin") {
    volatile unsigned long x = 0;
    for (;;) x = x + 1;
  }
  if (cmd == "touch-memory") {
    // Allocates and touches MiB one at a time until told amount or failure.
    size_t mib = std::strtoull(arg, nullptr, 10);
    std::vector<char*> blocks;
    for (size_t i = 0; i < mib; ++i) {
      char* block = static_cast<char*>(std::malloc(1 << 20));
      if (block == nullptr) {
        std::cout << "malloc failed after " << i << " MiB\n" << std::flush;
        return 3;
      }
      std::memset(block, 1, 1 << 20);
      blocks.push_back(block);
    }
    std::cout << "touched " << mib << " MiB\n";
    return 0;
  }
  if (cmd == "threads") {
    int n = std::atoi(arg);
    std::vector<std::thread> threads;
    std::atomic<int> sum{0};
    for (int i = 0; i < n; ++i) threads.emplace_back([&sum, i] { sum += i; });
    for (auto& t : threads) t.join();
    std::cout << "threads " << n << " sum " << sum.load() << "\n";
    return 0;
  }
  if (cmd == "wait-parent-death") {
    std::cout << "ready" << std::endl;
    for (;;) pause();
  }
  return usage();
}
