// bpf: the verifier has been a steady source of kernel escalations
// (CVE-2021-3490, CVE-2021-31440). Even creating a map must be refused.
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  bpf_attr attr{};
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  if (fd >= 0) probe::finish(probe::kEscaped, "bpf created a map");
  probe::finish(probe::kBlocked, "bpf: %s", probe::errno_name(errno));
}
