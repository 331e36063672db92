// TIOCSTI pushes bytes into a terminal's input queue, as if typed: a plugin
// holding the host's terminal could type commands into the shell that started
// the host (CVE-2016-7545, CVE-2017-5226 in bubblewrap). fd 0 is a pty the
// host watches. Mode "plain" uses the request number; "highbits" sets bits
// above 32, which the kernel ignores (the ioctl cmd is an unsigned int) but a
// filter comparing 64-bit arguments would not (CVE-2019-10063 in flatpak).
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  unsigned long request = TIOCSTI;
  if (std::strcmp(mode, "highbits") == 0) {
    request |= 0x100000000UL;
  } else if (std::strcmp(mode, "plain") != 0) {
    probe::finish(probe::kProbeError, "usage: tiocsti_inject plain|highbits");
  }
  const char* typed = "id\n";
  for (const char* c = typed; *c != '\0'; ++c) {
    if (syscall(SYS_ioctl, 0, request, c) != 0)
      probe::finish(probe::kBlocked, "ioctl TIOCSTI: %s", probe::errno_name(errno));
  }
  probe::finish(probe::kEscaped, "typed into the host's terminal");
}
