// Run an unpinned program: write a shell script into the writable /tmp and
// have /usr/bin/dash (in the read-only root, but never verified) run it. The
// noexec mount does not stop this: dash reads the script, it does not map
// it. Only the pinned binary may execute unless sandbox.allow_exec.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main() {
  const char script[] = "echo dash ran a script from /tmp\nexit 66\n";
  int out = open("/tmp/script.sh", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || write(out, script, sizeof(script) - 1) != static_cast<ssize_t>(sizeof(script) - 1))
    probe::finish(probe::kProbeError, "write /tmp/script.sh: %s", probe::errno_name(errno));
  close(out);
  std::fflush(stdout);
  char arg0[] = "dash";
  char arg1[] = "/tmp/script.sh";
  char* args[] = {arg0, arg1, nullptr};
  char* env[] = {nullptr};
  execve("/usr/bin/dash", args, env);
  probe::finish(probe::kBlocked, "execve /usr/bin/dash: %s", probe::errno_name(errno));
}
