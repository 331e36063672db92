// Cgroup path: /proc/self/cgroup must not tell the plugin anything of the
// host, the supervisor's pid above all (group names once were
// sbx-<supervisor pid>-<n>). argv: the supervisor's pid, which the probe
// could not know otherwise.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "probe.h"

int main(int argc, char** argv) {
  const std::string pid = probe::arg_str(argc, argv, 1);
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0) probe::finish(probe::kProbeError, "open: %s", probe::errno_name(errno));
  char text[8192];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n < 0) probe::finish(probe::kProbeError, "read: %s", probe::errno_name(errno));
  const std::string content(text, static_cast<size_t>(n));
  // The pid as a whole token of a path element: "-1234-", "/1234", "-1234\n"...
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  for (size_t at = content.find(pid); at != std::string::npos; at = content.find(pid, at + 1)) {
    const bool starts = at == 0 || !is_digit(content[at - 1]);
    const size_t end = at + pid.size();
    const bool ends = end == content.size() || !is_digit(content[end]);
    if (starts && ends) probe::finish(probe::kEscaped, "supervisor pid %s in /proc/self/cgroup", pid.c_str());
  }
  probe::finish(probe::kBlocked, "no supervisor pid in /proc/self/cgroup");
}
