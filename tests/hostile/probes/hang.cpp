// A plugin that never ends and uses no CPU (a deadlock, a wait on nothing):
// no rlimit notices; the owner's deadline must end it.
#include <unistd.h>

int main() {
  for (;;) pause();
}
