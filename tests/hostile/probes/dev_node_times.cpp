// The /dev nodes are the host's own inodes, bound one by one. A plugin may
// write to /dev/null (that is the driver's business) but must not change the
// host node: utimensat with a null time needs only write permission, which
// mode 0666 gives to everyone, and would set the host's /dev/null times.
// Prints each errno; the driver also compares the host node's times.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

#include <string>

int main() {
  std::string result;
  int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "x", 1) != 1) probe::finish(probe::kProbeError, "write /dev/null: %s", probe::errno_name(errno));
  close(fd);
  result += "write /dev/null: ok";
  for (const char* node : {"/dev/null", "/dev/zero", "/dev/urandom"}) {
    if (utimensat(AT_FDCWD, node, nullptr, 0) == 0) probe::finish(probe::kEscaped, "utimensat %s succeeded", node);
    result += std::string(", utimensat ") + node + ": " + probe::errno_name(errno);
  }
  if (chmod("/dev/null", 0600) == 0) probe::finish(probe::kEscaped, "chmod /dev/null succeeded");
  result += std::string(", chmod /dev/null: ") + probe::errno_name(errno);
  probe::finish(probe::kBlocked, "%s", result.c_str());
}
