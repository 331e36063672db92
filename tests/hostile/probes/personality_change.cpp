// personality(READ_IMPLIES_EXEC) makes every readable mapping executable
// (defeating W^X for later mappings); other flags (ADDR_NO_RANDOMIZE) turn
// off ASLR for the next exec. Changing the personality is never grantable.
#include <sys/personality.h>

#include "probe.h"

int main() {
  int rc = personality(READ_IMPLIES_EXEC);
  if (rc != -1 && (personality(0xffffffff) & READ_IMPLIES_EXEC) != 0)
    probe::finish(probe::kEscaped, "READ_IMPLIES_EXEC set");
  probe::finish(probe::kBlocked, "personality: %s", rc == -1 ? probe::errno_name(errno) : "unchanged");
}
