#include "base/gathered_send.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace stockade {

ssize_t send_gathered(int socket, std::initializer_list<std::span<const std::uint8_t>> pieces, int flags) {
  constexpr std::size_t kMaxPieces = 4;
  iovec iov[kMaxPieces];
  std::size_t count = 0;
  for (auto piece : pieces) {
    if (piece.empty()) continue;
    if (count == kMaxPieces) {
      errno = EINVAL;
      return -1;
    }
    // sendmsg does not write through iov_base; the cast only drops const.
    iov[count++] = iovec{const_cast<std::uint8_t*>(piece.data()), piece.size()};
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  return ::sendmsg(socket, &msg, flags | MSG_NOSIGNAL);
}

}  // namespace stockade
