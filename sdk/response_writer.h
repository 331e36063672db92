// ResponseWriter: encodes answers to the host and writes them, from any
// thread. Frames that pile up while one thread is in send() go out together
// in that thread's next send() (group commit): one syscall per response when
// calls are sparse, fewer than one each under load.
//
// Execute replies may be queued without writing (Flush::later): the call
// executor calls flush() before a thread reads or sleeps, so the replies of
// a burst leave in one send(2). The reading role queues its refusals the
// same way and never writes while it reads: a host that writes a batch
// before it reads would otherwise block the plugin's reading in send(2)
// while its own send waits for that reading.
//
// A reply payload of `memfd_threshold` bytes or more (when the handshake
// granted memfds) goes in a sealed memfd, written by the worker's own thread
// outside the lock; the frame that announces it leaves in a sendmsg of its
// own, after what was queued before it.
//
// A reply payload of wire::kGatherPayloadFrom bytes or more, below that
// threshold, leaves the same way in a sendmsg of its own, gathered from the
// frame's head, the handler's payload and the frame's tail: the payload is
// not copied in user space.
//
// A response that cannot be encoded (a payload over max_frame, say) becomes
// an Error response for the same id, so the caller never waits for an answer
// that will not come. Once a write fails (the host is gone) the writer drops
// everything; the reader sees end of stream and ends the session.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "stockade/sdk.h"
#include "wire/frame_batch.h"
#include "wire/frame_builder.h"

namespace stockade::sdk::detail {

class ResponseWriter {
 public:
  ResponseWriter(int fd, const wire::DecodeLimits& limits, std::uint32_t memfd_threshold = 0);

  enum class Flush { now, later };

  void execute_reply(std::uint64_t id, const Reply& reply, Flush when = Flush::now);
  void execute_error(std::uint64_t id, Code code, std::string_view message, bool retryable,
                     Flush when = Flush::now);
  void health(std::uint64_t id, const Health& health, Flush when = Flush::now);
  void info(std::uint64_t id, const Info& info);
  // An Error body (the answer to an Info the plugin could not give).
  void error(std::uint64_t id, Code code, std::string_view message, Flush when = Flush::now);

  // Writes what is queued, unless another thread is writing (it will).
  void flush();
  // Replies queued and not yet being written (a hint: no lock taken).
  bool has_queued() const { return has_queued_.load(std::memory_order_relaxed); }
  // Writes what the socket takes now without blocking (MSG_DONTWAIT), unless
  // another thread is writing; the rest waits for the next flush(). For a
  // thread that must never block on a host that does not read (the SDK's
  // call monitor). A flush(), send or wait_flushed() meanwhile waits for it
  // to end (one send) and then writes what it left.
  void try_flush();
  // Writes what is queued and waits until everything queued so far has been
  // written (or dropped).
  void wait_flushed();
  bool broken() const;

 private:
  // Encodes with `encode` under the lock, queues, and writes if no other
  // thread is writing. `fallback` encodes a replacement when `encode` fails.
  template <typename Encode, typename Fallback>
  void send(Encode&& encode, Fallback&& fallback, Flush when = Flush::now);
  // With the lock held and no other thread writing: writes until the queue
  // is empty (releasing the lock during each send).
  void flush_locked(std::unique_lock<std::mutex>& lock);
  // With the lock held: bytes queued, or left half written by try_flush().
  bool pending_locked() const;
  std::string_view bounded(std::string_view text) const;
  // A reply whose payload goes in a memfd (see above).
  void memfd_reply(std::uint64_t id, std::span<const std::uint8_t> payload, Flush when);
  // A reply of kGatherPayloadFrom bytes or more (see above).
  void gathered_reply(std::uint64_t id, std::span<const std::uint8_t> payload);
  // With the lock held: waits until no other thread writes and writes what
  // is queued, so that the socket is this thread's (flushing_ set) for one
  // frame of its own. False when the writer is broken.
  bool take_socket_locked(std::unique_lock<std::mutex>& lock);
  void give_socket_back_locked(std::unique_lock<std::mutex>& lock, const Status& written);

  const int fd_;
  const std::uint32_t memfd_threshold_;
  const std::uint64_t max_payload_;
  mutable std::mutex mu_;
  std::condition_variable drained_;  // a flush round finished
  wire::FrameBuilder builder_;
  wire::FrameBatch queued_;
  wire::FrameBatch writing_;
  bool flushing_ = false;
  bool try_flushing_ = false;  // the writer is a try_flush(): it may stop short
  bool broken_ = false;
  std::atomic<bool> has_queued_{false};  // lets flush() skip the lock when idle
};

}  // namespace stockade::sdk::detail
