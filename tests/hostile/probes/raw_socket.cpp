// Raw and packet sockets sniff or forge traffic; netlink sockets reach the
// kernel's routing, firewall and audit machinery (a large attack surface,
// e.g. CVE-2023-32233 in nf_tables). Modes: packet, raw, netlink.
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  int fd = -1;
  if (std::strcmp(mode, "packet") == 0) {
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x0003));  // ETH_P_ALL
  } else if (std::strcmp(mode, "raw") == 0) {
    fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  } else if (std::strcmp(mode, "netlink") == 0) {
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  } else {
    probe::finish(probe::kProbeError, "usage: raw_socket packet|raw|netlink");
  }
  if (fd >= 0) probe::finish(probe::kEscaped, "opened a %s socket", mode);
  probe::finish(probe::kBlocked, "socket: %s", probe::errno_name(errno));
}
