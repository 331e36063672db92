// The jail's profile binds host directories (/usr, the libraries, the loader
// cache): a writable bind would let a plugin plant code the host itself runs
// later. The root tmpfs is read-only too. Every write must fail; the probe
// prints each errno (EROFS from the mount, or EACCES when a permission check
// comes first).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

#include <string>

namespace {
std::string refusals;

void expect_refused(const char* what, int rc) {
  if (rc >= 0) probe::finish(probe::kEscaped, "%s succeeded", what);
  if (errno != EROFS && errno != EACCES) probe::finish(probe::kEscaped, "%s: %s", what, probe::errno_name(errno));
  refusals += std::string(refusals.empty() ? "" : ", ") + what + ": " + probe::errno_name(errno);
}
}  // namespace

int main() {
  expect_refused("create /usr/bin/planted", open("/usr/bin/planted", O_WRONLY | O_CREAT | O_CLOEXEC, 0755));
  expect_refused("write /etc/ld.so.cache", open("/etc/ld.so.cache", O_WRONLY | O_CLOEXEC));
  expect_refused("create /planted", open("/planted", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  expect_refused("mkdir /usr/lib/planted", mkdir("/usr/lib/planted", 0755));
  expect_refused("chmod /usr/bin/mount", chmod("/usr/bin/mount", 0777));
  expect_refused("unlink /usr/bin/mount", unlink("/usr/bin/mount"));
  probe::finish(probe::kBlocked, "%s", refusals.c_str());
}
