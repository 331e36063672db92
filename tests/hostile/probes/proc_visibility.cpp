// Host processes visible in /proc leak command lines, environments (of the
// same uid), open files and namespaces (/proc/<pid>/ns, /proc/<pid>/root: a
// path into the host's root). argv: host pids that must not be visible.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "probe.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string path = std::string("/proc/") + argv[i];
    struct stat st{};
    if (stat(path.c_str(), &st) == 0) probe::finish(probe::kEscaped, "host pid %s is visible", argv[i]);
  }
  DIR* dir = opendir("/proc");
  if (dir == nullptr) probe::finish(probe::kProbeError, "opendir /proc: %s", probe::errno_name(errno));
  int visible = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') ++visible;
  }
  // Only stockade-init (pid 1) and this probe, its child (pid 2).
  if (visible != 2 || getpid() != 2 || getppid() != 1)
    probe::finish(probe::kEscaped, "%d processes visible, own pid %d", visible, getpid());
  probe::finish(probe::kBlocked, "2 processes visible, own pid 2");
}
