// Kernel keyrings are not isolated by namespaces: a child inherits its
// parent's session keyring, so a plugin could read the supervisor's secrets
// (KEYCTL_READ) or fill the owner's key quota. Modes: add_key, keyctl,
// request_key.
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  long rc = -1;
  if (std::strcmp(mode, "add_key") == 0) {
    rc = syscall(SYS_add_key, "user", "stockade-probe", "x", 1, KEY_SPEC_SESSION_KEYRING);
  } else if (std::strcmp(mode, "keyctl") == 0) {
    rc = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  } else if (std::strcmp(mode, "request_key") == 0) {
    rc = syscall(SYS_request_key, "user", "stockade-probe", nullptr, 0);
  } else {
    probe::finish(probe::kProbeError, "usage: keyring add_key|keyctl|request_key");
  }
  if (rc >= 0) probe::finish(probe::kEscaped, "%s returned key %ld", mode, rc);
  probe::finish(probe::kBlocked, "%s: %s", mode, probe::errno_name(errno));
}
