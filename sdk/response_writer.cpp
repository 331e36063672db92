#include "sdk/response_writer.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "base/payload_memfd.h"
#include "sdk/socket_io.h"

namespace stockade::sdk::detail {

namespace {

wire::fb::ErrorCode to_wire(Code code) { return static_cast<wire::fb::ErrorCode>(code); }

static_assert(static_cast<int>(Code::cancelled) == static_cast<int>(wire::fb::ErrorCode::CANCELLED));
static_assert(static_cast<int>(Code::unimplemented) ==
              static_cast<int>(wire::fb::ErrorCode::UNIMPLEMENTED));

// Room for two of the largest frames, so one frame always fits beside a
// batch that is being refilled.
std::size_t batch_bound(const wire::DecodeLimits& limits) {
  return 2 * (std::size_t{limits.max_frame} + wire::kLengthPrefixSize);
}

}  // namespace

ResponseWriter::ResponseWriter(int fd, const wire::DecodeLimits& limits, std::uint32_t memfd_threshold)
    : fd_(fd),
      memfd_threshold_(memfd_threshold),
      max_payload_(limits.max_memfd_payload),
      builder_(limits),
      queued_(batch_bound(limits)),
      writing_(batch_bound(limits)) {}

std::string_view ResponseWriter::bounded(std::string_view text) const {
  return text.substr(0, builder_.limits().max_string);
}

template <typename Encode, typename Fallback>
void ResponseWriter::send(Encode&& encode, Fallback&& fallback, Flush when) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (broken_) return;
    auto frame = encode(builder_);
    if (!frame) frame = fallback(builder_, frame.error());
    if (!frame) {
      std::fprintf(stderr, "stockade sdk: cannot encode a response: %s\n",
                   frame.error().message().c_str());
      return;
    }
    if (queued_.add(*frame)) break;
    // The batch is full. The builder's frame is re-encoded afterwards, since
    // writing or waiting releases the lock and another thread may reuse the
    // builder.
    if (!flushing_) {
      flush_locked(lock);
    } else {
      drained_.wait(lock);
    }
  }
  has_queued_.store(true, std::memory_order_relaxed);
  if (when == Flush::later) return;
  // A try_flush() may stop short of this frame: wait for it (one
  // non-blocking send) rather than count on it.
  drained_.wait(lock, [this] { return !try_flushing_; });
  if (flushing_) return;  // a writer that blocks until done will send it
  flush_locked(lock);
}

bool ResponseWriter::pending_locked() const { return !queued_.empty() || !writing_.empty(); }

void ResponseWriter::flush_locked(std::unique_lock<std::mutex>& lock) {
  flushing_ = true;
  while (pending_locked() && !broken_) {
    // What a try_flush() left half written goes first.
    if (writing_.empty()) std::swap(queued_, writing_);
    has_queued_.store(false, std::memory_order_relaxed);
    lock.unlock();
    const auto written = send_all(fd_, writing_.pending());
    writing_.consume(writing_.pending().size());
    lock.lock();
    if (!written) broken_ = true;
    drained_.notify_all();
  }
  flushing_ = false;
  drained_.notify_all();
}

void ResponseWriter::flush() {
  // Called by every worker going idle: skip the lock when nothing waits.
  // A frame queued concurrently is written by its own thread or by the next
  // idle hook (its writer runs one before sleeping).
  if (!has_queued_.load(std::memory_order_relaxed)) return;
  std::unique_lock lock(mu_);
  // A try_flush() may leave bytes behind: wait for it, then see.
  drained_.wait(lock, [this] { return !try_flushing_; });
  if (flushing_ || !pending_locked()) return;
  flush_locked(lock);
}

void ResponseWriter::try_flush() {
  if (!has_queued_.load(std::memory_order_relaxed)) return;
  std::unique_lock lock(mu_);
  if (flushing_ || broken_ || !pending_locked()) return;
  flushing_ = true;
  try_flushing_ = true;
  for (;;) {
    if (writing_.empty()) {
      if (queued_.empty()) break;
      std::swap(queued_, writing_);
    }
    const auto pending = writing_.pending();
    lock.unlock();
    const ssize_t n = ::send(fd_, pending.data(), pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    const int err = errno;
    lock.lock();
    if (n > 0) {
      writing_.consume(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && err == EINTR) continue;
    // EAGAIN: the host is not reading; the rest waits for the next flush()
    // of a thread that may block.
    if (n < 0 && err == EAGAIN) break;  // EWOULDBLOCK is EAGAIN on Linux
    broken_ = true;
    break;
  }
  has_queued_.store(pending_locked(), std::memory_order_relaxed);
  flushing_ = false;
  try_flushing_ = false;
  drained_.notify_all();
}

void ResponseWriter::execute_reply(std::uint64_t id, const Reply& reply, Flush when) {
  if (!reply.is_ok()) {
    const auto& e = reply.failure();
    execute_error(id, e.code, e.message, e.retryable, when);
    return;
  }
  if (memfd_threshold_ != 0 && reply.payload().size() >= memfd_threshold_) {
    memfd_reply(id, reply.payload(), when);
    return;
  }
  if (reply.payload().size() >= wire::kGatherPayloadFrom) {
    gathered_reply(id, reply.payload());
    return;
  }
  send([&](wire::FrameBuilder& b) { return b.encode_execute_response(id, reply.payload()); },
       [&](wire::FrameBuilder& b, const Error& why) {
         return b.encode_execute_error(
             id, {to_wire(Code::resource_exhausted),
                  bounded("the plugin's response cannot be sent: " + why.message()), false});
       },
       when);
}

void ResponseWriter::memfd_reply(std::uint64_t id, std::span<const std::uint8_t> payload, Flush when) {
  if (payload.size() > max_payload_) {
    execute_error(id, Code::resource_exhausted,
                  "the plugin's response (" + std::to_string(payload.size()) +
                      " bytes) exceeds the payload limit of " + std::to_string(max_payload_) +
                      " bytes (the manifest's execute.max_payload_mb)",
                  false, when);
    return;
  }
  // The copy into the memfd happens here, on the worker's thread, unlocked.
  auto memfd = make_payload_memfd(payload);
  if (!memfd) {
    execute_error(id, Code::resource_exhausted,
                  "the plugin's response cannot be put in a memfd: " + memfd.error().message(), true,
                  when);
    return;
  }
  std::unique_lock lock(mu_);
  if (!take_socket_locked(lock)) return;
  auto frame = builder_.encode_execute_response_memfd(id, payload.size());
  if (!frame) {
    // Cannot happen to a frame of two numbers, but the call must still end.
    if (auto error = builder_.encode_execute_error(
            id, {to_wire(Code::internal), bounded("cannot encode the response: " + frame.error().message()),
                 false})) {
      (void)queued_.add(*error);
    }
    give_socket_back_locked(lock, {});
    return;
  }
  // A frame of a few dozen bytes: copied so that the builder is free for
  // the other threads while this one writes.
  std::vector<std::uint8_t> bytes(frame->begin(), frame->end());
  lock.unlock();
  const Status written = send_all_with_fd(fd_, bytes, memfd->get());
  lock.lock();
  give_socket_back_locked(lock, written);
}

void ResponseWriter::gathered_reply(std::uint64_t id, std::span<const std::uint8_t> payload) {
  std::unique_lock lock(mu_);
  if (!take_socket_locked(lock)) return;
  auto frame = builder_.encode_execute_response_gathered(id, payload);
  if (!frame) {
    // Over max_frame: the caller hears why instead of waiting.
    if (auto error = builder_.encode_execute_error(
            id, {to_wire(Code::resource_exhausted),
                 bounded("the plugin's response cannot be sent: " + frame.error().message()), false})) {
      (void)queued_.add(*error);
    }
    give_socket_back_locked(lock, {});
    return;
  }
  // The head and tail (a few dozen bytes) are copied so that the builder is
  // free for the other threads while this one writes; the payload is the
  // handler's, alive until this returns.
  std::vector<std::uint8_t> ends(frame->head.begin(), frame->head.end());
  ends.insert(ends.end(), frame->tail.begin(), frame->tail.end());
  const auto head = std::span<const std::uint8_t>(ends).first(frame->head.size());
  const auto tail = std::span<const std::uint8_t>(ends).subspan(frame->head.size());
  lock.unlock();
  const Status written = send_all_gathered(fd_, wire::GatheredFrame{head, payload, tail});
  lock.lock();
  give_socket_back_locked(lock, written);
}

bool ResponseWriter::take_socket_locked(std::unique_lock<std::mutex>& lock) {
  // The socket is this thread's while it holds flushing_: what was queued
  // before leaves first, then this thread's frame.
  drained_.wait(lock, [this] { return broken_ || !flushing_; });
  if (pending_locked()) flush_locked(lock);
  if (broken_) return false;
  flushing_ = true;
  return true;
}

void ResponseWriter::give_socket_back_locked(std::unique_lock<std::mutex>& lock, const Status& written) {
  if (!written) broken_ = true;
  flushing_ = false;
  // Replies queued meanwhile counted on the writing thread to send them.
  if (pending_locked()) flush_locked(lock);
  drained_.notify_all();
}

void ResponseWriter::execute_error(std::uint64_t id, Code code, std::string_view message,
                                   bool retryable, Flush when) {
  send([&](wire::FrameBuilder& b) {
         return b.encode_execute_error(id, {to_wire(code), bounded(message), retryable});
       },
       [&](wire::FrameBuilder& b, const Error& why) {
         return b.encode_execute_error(
             id, {to_wire(Code::internal), bounded("cannot encode the error: " + why.message()),
                  false});
       },
       when);
}

void ResponseWriter::health(std::uint64_t id, const Health& health, Flush when) {
  const auto status =
      health.serving ? wire::fb::ServingStatus::SERVING : wire::fb::ServingStatus::NOT_SERVING;
  send([&](wire::FrameBuilder& b) {
         return b.encode_health_response(id, status, bounded(health.message));
       },
       [&](wire::FrameBuilder& b, const Error&) {
         return b.encode_health_response(id, status, {});
       },
       when);
}

void ResponseWriter::info(std::uint64_t id, const Info& info) {
  send([&](wire::FrameBuilder& b) {
         return b.encode_info_response(
             id, {info.name, info.version, info.description, info.capabilities, info.methods,
                  info.metadata});
       },
       [&](wire::FrameBuilder& b, const Error& why) {
         return b.encode_error(id, {to_wire(Code::internal),
                                    bounded("the plugin's Info cannot be sent: " + why.message()),
                                    false});
       });
}

void ResponseWriter::error(std::uint64_t id, Code code, std::string_view message, Flush when) {
  send([&](wire::FrameBuilder& b) {
         return b.encode_error(id, {to_wire(code), bounded(message), false});
       },
       [&](wire::FrameBuilder& b, const Error& why) {
         return b.encode_error(id, {to_wire(Code::internal), bounded(why.message()), false});
       },
       when);
}

void ResponseWriter::wait_flushed() {
  std::unique_lock lock(mu_);
  for (;;) {
    drained_.wait(lock, [this] { return !try_flushing_; });
    if (!flushing_ && pending_locked()) flush_locked(lock);
    if (broken_ || (!flushing_ && !pending_locked())) return;
    // Another thread writes until it is done (or a try_flush() stopped
    // short: then this thread writes the rest).
    drained_.wait(lock);
  }
}

bool ResponseWriter::broken() const {
  std::lock_guard lock(mu_);
  return broken_;
}

}  // namespace stockade::sdk::detail
