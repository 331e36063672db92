// One descriptor passed beside a stream socket's bytes (SCM_RIGHTS): the
// large-payload memfds of PROTOCOL.md, "Large payloads". The descriptor
// travels with the first byte sent; the kernel hands it to the reader
// together with that byte, and never merges two descriptor-carrying sends
// into one read.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>

#include "base/unique_fd.h"

namespace stockade {

// One sendmsg(2) of `bytes` with `fd` attached. Returns the bytes sent (at
// least 1 means the descriptor went with them) or -1 with errno set.
// MSG_NOSIGNAL is always added to `flags`.
ssize_t send_with_fd(int socket, std::span<const std::uint8_t> bytes, int fd, int flags = 0);

struct Received {
  ssize_t bytes = 0;      // as recv(2): -1 with errno set, 0 at end of stream
  UniqueFd fd;            // the descriptor that came with them, close-on-exec
  bool truncated = false; // more than one descriptor came (the kernel closed the rest)
};

// One recvmsg(2) into `into`, with room for one descriptor.
Received recv_with_fd(int socket, std::span<std::uint8_t> into, int flags = 0);

}  // namespace stockade
