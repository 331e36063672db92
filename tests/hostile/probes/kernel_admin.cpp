// Whole-machine administration: reboot, kexec a new kernel, add swap, turn on
// process accounting to a file, set the clock, read the kernel log (addresses
// for KASLR), rename the host. Each mode is one syscall.
#include <linux/reboot.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  long rc = -1;
  if (std::strcmp(mode, "reboot") == 0) {
    // The "restart" command with a wrong magic: harmless even if allowed.
    rc = syscall(SYS_reboot, 0, 0, LINUX_REBOOT_CMD_RESTART, nullptr);
  } else if (std::strcmp(mode, "kexec_load") == 0) {
    rc = syscall(SYS_kexec_load, 0, 0, nullptr, 0);
  } else if (std::strcmp(mode, "swapon") == 0) {
    rc = syscall(SYS_swapon, "/tmp/swap", 0);
  } else if (std::strcmp(mode, "acct") == 0) {
    rc = syscall(SYS_acct, "/tmp/acct");
  } else if (std::strcmp(mode, "settimeofday") == 0) {
    timeval now{};
    gettimeofday(&now, nullptr);
    rc = syscall(SYS_settimeofday, &now, nullptr);
  } else if (std::strcmp(mode, "clock_settime") == 0) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    rc = syscall(SYS_clock_settime, CLOCK_REALTIME, &now);
  } else if (std::strcmp(mode, "syslog") == 0) {
    char buf[128];
    rc = syscall(SYS_syslog, 3, buf, static_cast<int>(sizeof buf));  // SYSLOG_ACTION_READ_ALL
  } else if (std::strcmp(mode, "sethostname") == 0) {
    rc = syscall(SYS_sethostname, "pwned", 5);
  } else {
    probe::finish(probe::kProbeError, "usage: kernel_admin reboot|kexec_load|swapon|acct|settimeofday|clock_settime|syslog|sethostname");
  }
  if (rc >= 0) probe::finish(probe::kEscaped, "%s succeeded", mode);
  probe::finish(probe::kBlocked, "%s: %s", mode, probe::errno_name(errno));
}
