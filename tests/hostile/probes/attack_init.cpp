// The sandbox's pid 1 is stockade-init, the plugin's parent. A plugin that
// could write init's memory (/proc/1/mem) would run code as the process the
// supervisor trusts to report its status; one that could kill init would end
// its own sandbox in a way it chose. init is not dumpable, so its mem file is
// closed to the plugin; the kernel drops signals from inside the namespace
// that init has no handler for, SIGKILL included.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <initializer_list>

#include "probe.h"

int main() {
  if (getpid() != 2 || getppid() != 1)
    probe::finish(probe::kProbeError, "expected to be pid 2, child of pid 1; pid %d ppid %d", getpid(), getppid());
  int fd = open("/proc/1/mem", O_RDWR);
  if (fd >= 0) probe::finish(probe::kEscaped, "opened /proc/1/mem for writing");
  const char* mem_error = probe::errno_name(errno);
  fd = open("/proc/1/mem", O_RDONLY);
  if (fd >= 0) probe::finish(probe::kEscaped, "opened /proc/1/mem for reading");
  for (int sig : {SIGKILL, SIGTERM, SIGSEGV, SIGSTOP}) {
    if (kill(1, sig) != 0) probe::finish(probe::kProbeError, "kill(1, %d): %s", sig, probe::errno_name(errno));
  }
  timespec pause{0, 100 * 1000 * 1000};
  nanosleep(&pause, nullptr);
  // Still init's child: init neither died nor stopped reaping.
  if (getppid() != 1 || kill(1, 0) != 0) probe::finish(probe::kEscaped, "init is gone");
  probe::finish(probe::kBlocked, "open /proc/1/mem: %s, init survives its signals", mem_error);
}
