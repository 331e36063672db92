// Thread bomb: threads are tasks too, and count against the same pid limit as
// processes; a limit on fork alone would miss them. argv: the limit.
#include <pthread.h>
#include <unistd.h>

#include "probe.h"

namespace {
void* sleep_forever(void*) {
  for (;;) pause();
}
}  // namespace

int main(int argc, char** argv) {
  long limit = probe::arg_long(argc, argv, 1);
  long threads = 0;
  int err = 0;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  while (threads < 4 * limit) {
    pthread_t thread;
    err = pthread_create(&thread, &attr, sleep_forever, nullptr);
    if (err != 0) break;
    ++threads;
  }
  if (threads >= limit) probe::finish(probe::kEscaped, "started %ld threads, limit %ld", threads, limit);
  probe::finish(probe::kBlocked, "pthread_create failed after %ld threads: %s", threads, probe::errno_name(err));
}
