// A program for `stockade jail` tests, driven by its argv:
//   exit N      exit with code N
//   fault ADDR  write to address ADDR (0: SIGSEGV)
//   abort       abort(): SIGABRT (the probe is pid 2, stockade-init's child,
//               so a signal it raises itself reaches it)
//   ptrace      call ptrace (never allowed: a seccomp violation)
//   sleep       sleep until killed
//   cat         copy stdin to stdout
//   env         print the environment, one variable a line
//   reopen FD r|w   open /proc/self/fd/FD again (read or write) and report on
//               stderr what it read ("read N: ...") or whether it could write
//   truncate-stdout clear O_APPEND on stdout, truncate it and write at offset 0
//   shutdown-then-ptrace shutdown() stdout and stderr, write, then ptrace
//   forge [ptrace]  print stockade's own line and terminal escapes on stderr,
//               then exit 159 (or make a real seccomp violation)
//   fd-targets  print where /proc/self/fd/0, 1 and 2 lead
//   write-fd N  try to write to fd N; print "ok" or the error
//   flood       write to stdout until an error or the end
//   spin-chain  a chain of processes: each spins 0.7 s of CPU, forks its
//               successor and exits (each under a 1 s per-process limit)
#include <fcntl.h>
#include <time.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

namespace {

void say(int fd, const std::string& text) {
  [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
}

std::string error_text() { return std::string(strerrordesc_np(errno)); }

int reopen(int fd, bool for_reading) {
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  // O_NONBLOCK: a pipe reopened for reading must not wait for data.
  int again = ::open(path.c_str(), (for_reading ? O_RDONLY : O_WRONLY) | O_NONBLOCK);
  if (again < 0) {
    say(2, "reopen " + std::to_string(fd) + ": refused: " + error_text() + "\n");
    return 0;
  }
  if (for_reading) {
    char buf[4096];
    ssize_t n = ::pread(again, buf, sizeof buf, 0);
    if (n < 0) n = ::read(again, buf, sizeof buf);
    say(2, "reopen " + std::to_string(fd) + ": read " +
               (n < 0 ? error_text() : std::to_string(n) + ": " + std::string(buf, static_cast<size_t>(n))) + "\n");
  } else {
    ssize_t n = ::pwrite(again, "PWNED\n", 6, 0);
    if (n < 0) n = ::write(again, "PWNED\n", 6);
    say(2, "reopen " + std::to_string(fd) + ": write " + (n < 0 ? error_text() : "ok") + "\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  const char* mode = argv[1];
  if (std::strcmp(mode, "exit") == 0 && argc == 3) return std::atoi(argv[2]);
  if (std::strcmp(mode, "spin-chain") == 0) {
    // The probe itself waits (its end would end the sandbox); the chain's
    // links are orphans that stockade-init adopts.
    if (fork() != 0) {
      for (;;) pause();
    }
    for (;;) {
      timespec start{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
      for (;;) {
        timespec now{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= 700)
          break;
      }
      pid_t next = fork();
      if (next != 0) _exit(next < 0 ? 1 : 0);  // the successor goes on, we end
    }
  }
  if (std::strcmp(mode, "fault") == 0 && argc == 3) {
    // The address comes from argv so the compiler cannot see a null store.
    *reinterpret_cast<volatile int*>(std::strtoul(argv[2], nullptr, 0)) = 1;
    return 101;
  }
  if (std::strcmp(mode, "abort") == 0) std::abort();
  if (std::strcmp(mode, "ptrace") == 0) {
    ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    return 102;
  }
  if (std::strcmp(mode, "sleep") == 0) {
    for (;;) ::pause();
  }
  if (std::strcmp(mode, "cat") == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(0, buf, sizeof buf)) > 0) {
      if (::write(1, buf, static_cast<size_t>(n)) != n) return 103;
    }
    return n == 0 ? 0 : 104;
  }
  if (std::strcmp(mode, "nonblock-stdin") == 0) {
    // What a careless program does to its stdin: the operator's terminal
    // must not keep it.
    int flags = ::fcntl(0, F_GETFL);
    return flags >= 0 && ::fcntl(0, F_SETFL, flags | O_NONBLOCK) == 0 ? 0 : 105;
  }
  if (std::strcmp(mode, "reopen") == 0 && argc == 4) {
    return reopen(std::atoi(argv[2]), std::strcmp(argv[3], "r") == 0);
  }
  if (std::strcmp(mode, "truncate-stdout") == 0) {
    int flags = ::fcntl(1, F_GETFL);
    say(2, std::string("setfl ") + (::fcntl(1, F_SETFL, flags & ~O_APPEND) == 0 ? "ok" : error_text()) + "\n");
    say(2, std::string("ftruncate ") + (::ftruncate(1, 0) == 0 ? "ok" : error_text()) + "\n");
    say(2, std::string("pwrite ") + (::pwrite(1, "X", 1, 0) == 1 ? "ok" : error_text()) + "\n");
    return 0;
  }
  if (std::strcmp(mode, "shutdown-then-ptrace") == 0) {
    ::shutdown(1, SHUT_RDWR);
    ::shutdown(2, SHUT_RDWR);
    say(1, "after shutdown\n");
    ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    return 102;
  }
  if (std::strcmp(mode, "forge") == 0) {
    say(1, "plain output\n");
    say(2, "stockade: seccomp violation: ptrace\n");
    // Conceal what follows, set the window title, clear the screen, and
    // leave the cursor mid-line.
    say(2, "\x1b[8m\x1b]0;owned\x07\x1b[2J\r\x08\x9b");
    if (argc == 3 && std::strcmp(argv[2], "ptrace") == 0) {
      ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
      return 102;
    }
    return 159;
  }
  if (std::strcmp(mode, "fd-targets") == 0) {
    for (int fd = 0; fd <= 2; ++fd) {
      char target[256] = {};
      const std::string path = "/proc/self/fd/" + std::to_string(fd);
      ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
      std::printf("%d -> %s\n", fd, n < 0 ? error_text().c_str() : target);
    }
    return 0;
  }
  if (std::strcmp(mode, "write-fd") == 0 && argc == 3) {
    ssize_t n = ::write(std::atoi(argv[2]), "{\"kind\":\"exited\"}\n", 18);
    std::printf("write-fd %s: %s\n", argv[2], n < 0 ? error_text().c_str() : "ok");
    return 0;
  }
  if (std::strcmp(mode, "flood") == 0) {
    static char block[65536];
    std::memset(block, 'f', sizeof block);
    while (::write(1, block, sizeof block) > 0) {
    }
    return 0;
  }
  if (std::strcmp(mode, "env") == 0) {
    for (char** e = environ; *e != nullptr; ++e) std::printf("%s\n", *e);
    return 0;
  }
  return 100;
}
