// One sendmsg(2) of several pieces of memory, in order, as if they were one
// buffer: how a large payload leaves from where its owner keeps it, between
// the frame bytes before and after it, without being copied first.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <span>

namespace stockade {

// Returns the bytes sent (possibly fewer than the pieces hold) or -1 with
// errno set. MSG_NOSIGNAL is always added to `flags`. At most four pieces;
// empty ones are skipped.
ssize_t send_gathered(int socket, std::initializer_list<std::span<const std::uint8_t>> pieces, int flags = 0);

}  // namespace stockade
