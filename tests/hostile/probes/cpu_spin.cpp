// CPU spin: burn CPU forever. RLIMIT_CPU (or the cgroup quota plus the
// supervisor's deadline) must end it.
#include "probe.h"

int main() {
  volatile unsigned long spins = 0;
  for (;;) spins = spins + 1;
}
