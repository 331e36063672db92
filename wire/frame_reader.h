// FrameReader: reassembles frames from a byte stream arriving in chunks of any
// size (one byte at a time included) and yields whole frame bodies.
//
// Bounded memory: at most max_frame + kLengthPrefixSize + max_read bytes plus
// alignment slack, and only as the peer's bytes actually arrive. A zero or
// oversized length is refused as soon as its 4 bytes are in, before any body
// byte is buffered. Once an error is returned the reader stays failed.
//
// Bodies are handed out at an 8-byte aligned address (kBodyAlignment), so they
// can go straight to decode_frame. When a body lands misaligned in the buffer
// (a frame of length 4 mod 8 puts the next body off by 4), next() moves that
// body back over its own, already consumed, length prefix: one memmove of the
// body, never of the rest of the buffer.
//
// Typical use, reading straight from a socket without an extra copy:
//   auto space = reader.prepare(64 * 1024);
//   ssize_t n = read(fd, space.data(), space.size());
//   reader.commit(n);
//   for (;;) { auto r = reader.next(); if (!r) fail(r.error());
//              if (!*r) break; handle(decode_frame(**r)); }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "stockade/result.h"
#include "wire/protocol.h"

namespace stockade::wire {

class FrameReader {
 public:
  // `max_frame` bounds the body length N; `max_read` bounds one prepare().
  explicit FrameReader(std::uint32_t max_frame = kDefaultMaxFrame,
                       std::size_t max_read = 64 * 1024);

  // Writable space for up to `want` bytes (at most max_read). Empty only when
  // the reader has failed, or when it already holds max_frame + max_read
  // unconsumed bytes because next() was not drained first. Invalidates spans
  // returned by next().
  std::span<std::uint8_t> prepare(std::size_t want);
  // Marks the first n bytes of the last prepare() span as received.
  void commit(std::size_t n);
  // Copies `bytes` in (prepare + memcpy + commit, as often as needed). Fails
  // only if the reader already failed. Invalidates spans returned by next().
  Status append(std::span<const std::uint8_t> bytes);

  // The next complete body (aligned to kBodyAlignment), std::nullopt if more
  // bytes are needed, or an Errc::protocol error (zero or oversized length).
  // The span stays valid until the next call of any non-const member.
  Result<std::optional<std::span<const std::uint8_t>>> next();

  // Bytes received but not yet returned by next().
  std::size_t buffered() const { return end_ - begin_; }
  // True when no partial frame is pending (a clean end of stream is possible).
  bool at_frame_boundary() const { return buffered() == 0; }
  bool failed() const { return failed_.has_value(); }
  // Frees the buffer when no byte is pending (the next prepare() allocates
  // again): an idle connection then holds no read buffer. Invalidates spans
  // returned by next(). Returns the bytes freed.
  std::size_t release_if_empty();
  // Bytes of buffer held now.
  std::size_t capacity() const { return capacity_; }

  // The bytes received and not yet returned by next() (a partial frame, or
  // frames not decoded yet): how a caller moves them to another reader while
  // this one's buffer is still in use (the SDK's payload views). Valid until
  // the next non-const call.
  std::span<const std::uint8_t> unconsumed() const;
  // Forgets the unconsumed bytes (without touching the buffer, so spans from
  // next() stay valid until the next prepare() or append()).
  void clear();

 private:
  std::uint8_t* data();
  // Largest buffer prepare() lets the reader grow to.
  std::size_t memory_limit() const;
  // Makes room for `want` bytes after end_, compacting or growing (to at most
  // max(limit, what is needed)).
  void reserve_tail(std::size_t want, std::size_t limit);

  std::uint32_t max_frame_;
  std::size_t max_read_;
  std::unique_ptr<std::uint64_t[]> storage_;  // uint64_t: 8-byte aligned base
  std::size_t capacity_ = 0;                  // bytes in storage_
  std::size_t begin_ = 0;                     // first unconsumed byte
  std::size_t end_ = 0;                       // one past the last received byte
  std::size_t prepared_ = 0;                  // size of the last prepare() span
  std::optional<Error> failed_;
};

}  // namespace stockade::wire
