// ptrace is the classic way out of a seccomp jail (rewrite a traced process's
// syscalls after the filter ran; CVE-2019-2054 style), and of reading another
// process's memory. Modes: "pid N" attaches to a host pid; "child" attaches to
// a child of its own; "traceme" asks to be traced.
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  long rc = -1;
  if (std::strcmp(mode, "pid") == 0) {
    rc = ptrace(PTRACE_ATTACH, static_cast<pid_t>(probe::arg_long(argc, argv, 2)), nullptr, nullptr);
  } else if (std::strcmp(mode, "child") == 0) {
    pid_t child = fork();
    if (child == 0) {
      pause();
      _exit(0);
    }
    if (child < 0) probe::finish(probe::kProbeError, "fork: %s", probe::errno_name(errno));
    rc = ptrace(PTRACE_ATTACH, child, nullptr, nullptr);
  } else if (std::strcmp(mode, "traceme") == 0) {
    rc = ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
  } else {
    probe::finish(probe::kProbeError, "usage: ptrace_attach pid N|child|traceme");
  }
  if (rc == 0) probe::finish(probe::kEscaped, "ptrace %s succeeded", mode);
  probe::finish(probe::kBlocked, "ptrace: %s", probe::errno_name(errno));
}
