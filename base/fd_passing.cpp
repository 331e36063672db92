#include "base/fd_passing.h"

#include <sys/socket.h>

#include <cstring>

namespace stockade {

namespace {

// Control buffer for exactly one int, aligned as cmsghdr wants.
union OneFdControl {
  char bytes[CMSG_SPACE(sizeof(int))];
  cmsghdr align;
};

// A message of one buffer with room for one descriptor.
msghdr one_fd_message(iovec& iov, OneFdControl& control) {
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof(control.bytes);
  return msg;
}

}  // namespace

ssize_t send_with_fd(int socket, std::span<const std::uint8_t> bytes, int fd, int flags) {
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  OneFdControl control{};
  msghdr msg = one_fd_message(iov, control);
  cmsghdr* header = CMSG_FIRSTHDR(&msg);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
  return ::sendmsg(socket, &msg, flags | MSG_NOSIGNAL);
}

Received recv_with_fd(int socket, std::span<std::uint8_t> into, int flags) {
  iovec iov{into.data(), into.size()};
  OneFdControl control{};
  msghdr msg = one_fd_message(iov, control);
  Received out;
  // MSG_CMSG_CLOEXEC: a descriptor must never leak into a process we spawn.
  out.bytes = ::recvmsg(socket, &msg, flags | MSG_CMSG_CLOEXEC);
  if (out.bytes < 0) return out;
  out.truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
  for (cmsghdr* header = CMSG_FIRSTHDR(&msg); header != nullptr; header = CMSG_NXTHDR(&msg, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int received = -1;
      std::memcpy(&received, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      // Room was made for one: a second can only be there if the kernel's
      // layout differs from ours; keep the first, close the others.
      if (!out.fd) {
        out.fd.reset(received);
      } else {
        UniqueFd extra(received);
        out.truncated = true;
      }
    }
  }
  return out;
}

}  // namespace stockade
