// A program for `stockade jail` tests, driven by its argv:
//   exit N      exit with code N
//   fault ADDR  write to address ADDR (0: SIGSEGV)
//   abort       abort(): SIGABRT (the probe is pid 2, stockade-init's child,
//               so a signal it raises itself reaches it)
//   ptrace      call ptrace (never allowed: a seccomp violation)
//   sleep       sleep until killed
//   cat         copy stdin to stdout
//   env         print the environment, one variable a line
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  const char* mode = argv[1];
  if (std::strcmp(mode, "exit") == 0 && argc == 3) return std::atoi(argv[2]);
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
  if (std::strcmp(mode, "env") == 0) {
    for (char** e = environ; *e != nullptr; ++e) std::printf("%s\n", *e);
    return 0;
  }
  return 100;
}
