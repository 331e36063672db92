// Fileless drop-and-run: copy a payload into a memfd and execveat it. No
// filesystem mount flag applies to a memfd. The payload is this probe itself,
// which exits kEscaped when run as "payload".
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "payload") == 0) probe::finish(probe::kEscaped, "payload ran from a memfd");
  int out = memfd_create("payload", MFD_CLOEXEC);
  if (out < 0) probe::finish(probe::kBlocked, "memfd_create: %s", probe::errno_name(errno));
  int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  struct stat st{};
  if (in < 0 || fstat(in, &st) != 0) probe::finish(probe::kProbeError, "open self: %s", probe::errno_name(errno));
  if (sendfile(out, in, nullptr, static_cast<size_t>(st.st_size)) != st.st_size)
    probe::finish(probe::kProbeError, "sendfile: %s", probe::errno_name(errno));
  char arg0[] = "payload";
  char* args[] = {arg0, arg0, nullptr};
  char* env[] = {nullptr};
  syscall(SYS_execveat, out, "", args, env, AT_EMPTY_PATH);
  probe::finish(probe::kBlocked, "execveat memfd: %s", probe::errno_name(errno));
}
