// Lock a file bound read-only from the host, to block host writers (a lock
// on a read-only fd still conflicts with the host's write locks; a lease
// makes the host's open for writing wait). argv: MODE PATH, MODE one of
// flock, posix, ofd, lease. On success the probe says "locked" and holds the
// lock until killed, so that the test can try the host's side.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  const char* path = probe::arg_str(argc, argv, 2);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) probe::finish(probe::kProbeError, "open %s: %s", path, probe::errno_name(errno));
  struct flock lock {};
  lock.l_type = F_RDLCK;
  lock.l_whence = SEEK_SET;
  int rc = -1;
  if (std::strcmp(mode, "flock") == 0) rc = flock(fd, LOCK_EX | LOCK_NB);
  else if (std::strcmp(mode, "posix") == 0) rc = fcntl(fd, F_SETLK, &lock);
  else if (std::strcmp(mode, "ofd") == 0) rc = fcntl(fd, F_OFD_SETLK, &lock);
  else if (std::strcmp(mode, "lease") == 0) rc = fcntl(fd, F_SETLEASE, F_RDLCK);
  else probe::finish(probe::kProbeError, "usage: flock|posix|ofd|lease PATH");
  if (rc != 0) probe::finish(probe::kBlocked, "%s: %s", mode, probe::errno_name(errno));
  std::printf("locked %s\n", mode);
  std::fflush(stdout);
  sleep(20);  // the test kills us first
  probe::finish(probe::kEscaped, "held the lock for 20 s");
}
