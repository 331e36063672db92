// Forged signal: a process inside the sandbox queues SIGTERM to init (pid 1)
// with a made-up siginfo whose si_pid is 0, the sender init takes for the
// supervisor, hoping init forwards it to the plugin (this probe). It tries
// every si_code the kernel lets it forge towards another process (SI_QUEUE,
// SI_MESGQ, SI_ASYNCIO, SI_SIGIO), and the ones it must refuse (SI_USER,
// SI_TKILL). The plugin must receive none.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>

#include "probe.h"

namespace {

volatile sig_atomic_t received = 0;
void on_term(int) { received = 1; }

}  // namespace

int main() {
  struct sigaction action {};
  action.sa_handler = on_term;
  if (sigaction(SIGTERM, &action, nullptr) != 0) probe::finish(probe::kProbeError, "sigaction");
  pid_t forger = fork();
  if (forger < 0) probe::finish(probe::kProbeError, "fork: %s", probe::errno_name(errno));
  if (forger == 0) {
    int accepted = 0;
    for (int code : {SI_QUEUE, SI_MESGQ, SI_ASYNCIO, SI_SIGIO, SI_USER, SI_TKILL}) {
      siginfo_t info;
      std::memset(&info, 0, sizeof info);
      info.si_signo = SIGTERM;
      info.si_code = code;
      info.si_pid = 0;
      info.si_uid = 0;
      if (syscall(SYS_rt_sigqueueinfo, 1, SIGTERM, &info) == 0) ++accepted;
    }
    _exit(accepted);
  }
  int status = 0;
  while (waitpid(forger, &status, 0) < 0 && errno == EINTR) {
  }
  // Init forwards at once; give it ample time to (wrongly) do so.
  for (int i = 0; i < 50 && !received; ++i) {
    timespec pause{0, 10 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  const int queued = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (received) probe::finish(probe::kEscaped, "forged SIGTERM forwarded (%d queued)", queued);
  probe::finish(probe::kBlocked, "forged SIGTERM dropped (%d queued)", queued);
}
