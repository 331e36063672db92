// Blocking I/O on the protocol socket, with the two properties the SDK needs:
// writes never raise SIGPIPE (a vanished host is an error value, not a
// signal that kills the plugin), and EINTR is retried.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/unique_fd.h"
#include "stockade/result.h"
#include "wire/frame_builder.h"

namespace stockade::sdk::detail {

// Writes all of `bytes` (send with MSG_NOSIGNAL, as many calls as needed).
Status send_all(int fd, std::span<const std::uint8_t> bytes);

// Writes all of `bytes`, `attached` passed (SCM_RIGHTS) with the first byte.
Status send_all_with_fd(int fd, std::span<const std::uint8_t> bytes, int attached);

// Writes all of a frame in pieces (sendmsg of its pieces, as many as needed):
// its payload leaves from where it is, uncopied.
Status send_all_gathered(int fd, wire::GatheredFrame frame);

// Blocks until `fd` has bytes to read (or its end, or an error): poll(2)
// for POLLIN. Why not block in read(2) itself: a reader asleep in read on an
// AF_UNIX stream socket is also woken each time the peer takes in what this
// side sent (the kernel's write-space wake-up shares the socket's wait
// queue), so a plugin idle between calls woke twice per call (1.84
// voluntary context switches per call against 1.00); poll's wait is woken
// for POLLIN only.
Status wait_readable(int fd);

// One read(2) into `into`: the byte count, 0 at end of stream.
Result<std::size_t> read_some(int fd, std::span<std::uint8_t> into);
// The same with recvmsg(2), taking the descriptor that may come with the
// bytes into `received` (close-on-exec). More than one is Errc::protocol.
Result<std::size_t> read_some_with_fd(int fd, std::span<std::uint8_t> into, UniqueFd& received);

// Fills `into` exactly, waiting at most until `until` (poll between reads).
// Errc::timeout when the time runs out; Errc::protocol on end of stream.
Status read_exact_until(int fd, std::span<std::uint8_t> into,
                        std::chrono::steady_clock::time_point until);

}  // namespace stockade::sdk::detail
