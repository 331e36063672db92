// A setuid-root binary inside the jail (/usr/bin/mount is one) would hand out
// root the moment it runs. no_new_privs, the nosuid binds and the unmapped
// owner must each keep the ids unchanged. The probe cannot look inside the
// setuid program, so it asks the dynamic loader: LD_DEBUG is obeyed only when
// the exec was not privileged (AT_SECURE=0). argv: the setuid binary.
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* target = probe::arg_str(argc, argv, 1);
  struct stat st{};
  if (stat(target, &st) != 0) probe::finish(probe::kProbeError, "stat %s: %s", target, probe::errno_name(errno));
  if ((st.st_mode & S_ISUID) == 0) probe::finish(probe::kProbeError, "%s is not setuid", target);
  std::printf("%s is setuid\n", target);
  std::fflush(stdout);
  // The program prints its version and exits 0; ld.so's "find library"
  // lines on stderr prove the exec was unprivileged.
  char version[] = "--version";
  char debug[] = "LD_DEBUG=libs";
  char* args[] = {const_cast<char*>(target), version, nullptr};
  char* env[] = {debug, nullptr};
  execve(target, args, env);
  probe::finish(probe::kBlocked, "execve %s: %s", target, probe::errno_name(errno));
}
