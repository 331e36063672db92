// Drop-and-run: write a payload into the writable /tmp and execute it. The
// sandbox promises that only read-only, nosuid files can run: /tmp is noexec.
// The payload is this probe itself, which exits kEscaped when run as "payload".
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "payload") == 0) probe::finish(probe::kEscaped, "payload ran from /tmp");
  int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int out = open("/tmp/payload", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  struct stat st{};
  if (in < 0 || out < 0 || fstat(in, &st) != 0) probe::finish(probe::kProbeError, "copy: %s", probe::errno_name(errno));
  if (sendfile(out, in, nullptr, static_cast<size_t>(st.st_size)) != st.st_size)
    probe::finish(probe::kProbeError, "sendfile: %s", probe::errno_name(errno));
  close(out);
  char arg0[] = "payload";
  char* args[] = {arg0, arg0, nullptr};
  char* env[] = {nullptr};
  execve("/tmp/payload", args, env);
  probe::finish(probe::kBlocked, "execve /tmp/payload: %s", probe::errno_name(errno));
}
