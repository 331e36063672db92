#include "supervisor/channel.h"
#include "base/error.h"
#include "base/fd_passing.h"
#include "base/gathered_send.h"

#include <sys/socket.h>

#include <boost/asio/post.hpp>

namespace stockade::supervisor {

namespace asio = boost::asio;

// One read takes what the kernel has, up to this: a socket buffer's worth
// of small responses costs one recv.
constexpr size_t kReadChunk = 64 * 1024;
// How long after a read the read buffer is kept for the next one.
constexpr std::chrono::seconds kReleaseIdle{1};

Channel::Channel(asio::io_context& io, UniqueFd socket, const wire::DecodeLimits& limits,
                 size_t max_queued_bytes, FrameHandler on_frame, ErrorHandler on_error)
    : socket_(io, boost::asio::local::stream_protocol(), socket.release()),
      limits_(limits),
      reader_(limits.max_frame, kReadChunk),
      idle_timer_(io),
      batch_(max_queued_bytes),
      builder_(limits),
      on_frame_(std::move(on_frame)),
      on_error_(std::move(on_error)) {
  socket_.non_blocking(true);
}

Channel::~Channel() { close(); }

void Channel::start() { read_some(); }

void Channel::accept_memfd_payloads(std::uint64_t max_payload) {
  accept_fds_ = true;
  limits_.max_memfd_payload = max_payload;
  builder_ = wire::FrameBuilder(limits_);
}

void Channel::close() {
  if (closed_) return;
  closed_ = true;
  received_fds_.clear();
  outgoing_fds_.clear();
  boost::system::error_code ignored;
  socket_.close(ignored);
  idle_timer_.cancel();
  on_frame_ = nullptr;
  on_error_ = nullptr;
}

void Channel::fail(const Error& error) {
  if (closed_) return;
  auto handler = std::move(on_error_);
  close();
  if (handler) handler(error);
}

void Channel::read_some() {
  if (closed_) return;
  // A readiness wait, then our own recv: Asio's async read would first try a
  // recv that fails with EAGAIN on every response (it does not learn from a
  // short read on this Boost), one syscall per call for nothing. The next
  // wait is queued before the recv, so data arriving after the recv wakes it
  // (epoll is edge-triggered here): no wakeup can be lost.
  socket_.async_wait(asio::local::stream_protocol::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (self->closed_) return;
                       if (ec) {
                         self->fail(Error{Errc::io, "cannot wait for the plugin socket: " + ec.message(), {}});
                         return;
                       }
                       self->read_some();
                       self->receive();
                       self->release_when_idle();
                     });
}

void Channel::release_when_idle() {
  if (closed_ || idle_timer_armed_) return;
  idle_timer_armed_ = true;
  idle_timer_.expires_after(kReleaseIdle);
  idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->idle_timer_armed_ = false;
    if (ec || self->closed_) return;
    self->reader_.release_if_empty();
  });
}

void Channel::receive() {
  for (;;) {
    auto space = reader_.prepare(kReadChunk);
    if (space.empty()) {
      fail(Error{Errc::protocol, "frame reader cannot take more bytes", {}});
      return;
    }
    ssize_t n = 0;
    if (accept_fds_) {
      Received got = recv_with_fd(socket_.native_handle(), space, MSG_DONTWAIT);
      n = got.bytes;
      if (got.truncated) {
        fail(Error{Errc::protocol, "sent more than one descriptor with one message", {}});
        return;
      }
      if (got.fd) received_fds_.push_back(std::move(got.fd));
    } else {
      n = ::recv(socket_.native_handle(), space.data(), space.size(), MSG_DONTWAIT);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;  // a wakeup for bytes an earlier recv took
      fail(sys_error("cannot read the plugin socket", "recv"));
      return;
    }
    if (n == 0) {
      fail(Error{Errc::unavailable, "the plugin closed its socket", {}});
      return;
    }
    if (!on_read(static_cast<size_t>(n))) return;
    // A short read drained the socket; a full one may have left bytes behind
    // that no new edge will announce.
    if (static_cast<size_t>(n) < space.size()) return;
  }
}

bool Channel::on_read(size_t n) {
  reader_.commit(n);
  for (;;) {
    auto next = reader_.next();
    if (!next) {
      fail(next.error());
      return false;
    }
    if (!*next) break;
    auto envelope = wire::decode_frame(**next, limits_);
    if (!envelope) {
      fail(envelope.error());
      return false;
    }
    ++frames_received_;
    UniqueFd payload_fd;
    if (!take_payload_fd(**envelope, payload_fd)) return false;
    in_read_ = true;
    on_frame_(**envelope, std::move(payload_fd));
    in_read_ = false;
    if (closed_) return false;
  }
  // The kernel hands a descriptor over with the first byte of the send that
  // carried it, so once every whole frame is paired, at most the frame still
  // arriving may own one.
  if (received_fds_.size() > (reader_.at_frame_boundary() ? 0u : 1u)) {
    fail(Error{Errc::protocol, "sent a descriptor that no frame announces (payload_memfd)", {}});
    return false;
  }
  // What the handlers of these frames queued (the next calls of a busy
  // caller) leaves now, in one send, without another trip through the loop.
  flush();
  return !closed_;
}

bool Channel::take_payload_fd(const wire::fb::Envelope& envelope, UniqueFd& fd) {
  uint64_t announced = 0;
  if (const auto* r = envelope.body_as_ExecuteResponse()) announced = r->payload_memfd();
  if (const auto* r = envelope.body_as_ExecuteRequest()) announced = r->payload_memfd();
  if (announced == 0) return true;
  if (received_fds_.empty()) {
    fail(Error{Errc::protocol,
               "a frame announces a payload memfd of " + std::to_string(announced) +
                   " bytes, but no descriptor came with it",
               {}});
    return false;
  }
  fd = std::move(received_fds_.front());
  received_fds_.erase(received_fds_.begin());
  return true;
}

Status Channel::send(wire::Frame frame, UniqueFd attached) {
  if (closed_) return Error{Errc::unavailable, "the plugin's channel is closed", {}};
  if (auto added = batch_.add(frame); !added) return added;
  if (attached) outgoing_fds_.emplace_back(bytes_queued_, std::move(attached));
  bytes_queued_ += frame.size();
  schedule_flush();
  return {};
}

Status Channel::send(const wire::GatheredFrame& frame) {
  // A small payload was copied into the frame: it is batched like any other.
  if (frame.payload.empty()) return send(frame.head);
  if (closed_) return Error{Errc::unavailable, "the plugin's channel is closed", {}};
  if (!batch_.fits(frame.size())) return batch_.add(frame);  // the queue's own error
  size_t sent = 0;
  if (batch_.empty() && !waiting_writable_) {
    ssize_t n = -1;
    do {
      n = send_gathered(socket_.native_handle(), {frame.head, frame.payload, frame.tail}, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    ++sends_;
    // A failure other than a full socket is met again by the flush of the
    // rest, which reports it: not from here, inside the caller's send.
    if (n > 0) sent = static_cast<size_t>(n);
  }
  bytes_queued_ += frame.size();
  bytes_sent_ += sent;
  if (sent == frame.size()) return {};
  // Fits: checked above, and the queue was empty or already held the rest.
  (void)batch_.add(frame.after(sent));
  schedule_flush();
  return {};
}

ssize_t Channel::send_pending() {
  auto pending = batch_.pending();
  // MSG_NOSIGNAL: a plugin that died must cost an EPIPE, not our SIGPIPE.
  if (outgoing_fds_.empty()) {
    return ::send(socket_.native_handle(), pending.data(), pending.size(), MSG_NOSIGNAL);
  }
  auto& [offset, fd] = outgoing_fds_.front();
  if (offset > bytes_sent_) {
    // The bytes before the descriptor's frame go first, on their own.
    pending = pending.first(static_cast<size_t>(offset - bytes_sent_));
    return ::send(socket_.native_handle(), pending.data(), pending.size(), MSG_NOSIGNAL);
  }
  // The descriptor's frame and what follows, up to the next descriptor.
  if (outgoing_fds_.size() > 1) pending = pending.first(static_cast<size_t>(outgoing_fds_[1].first - bytes_sent_));
  ssize_t n = send_with_fd(socket_.native_handle(), pending, fd.get());
  // One byte sent is the descriptor delivered (the kernel holds its own
  // reference); ours can go.
  if (n > 0) outgoing_fds_.erase(outgoing_fds_.begin());
  return n;
}

void Channel::schedule_flush() {
  if (flush_posted_ || waiting_writable_ || in_read_) return;
  flush_posted_ = true;
  // Posted, not immediate: every frame queued by the handlers of this loop
  // iteration joins the same send(2).
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void Channel::flush() {
  if (waiting_writable_) return;  // the pending wait resumes the flush
  while (!closed_ && !batch_.empty()) {
    ssize_t n = send_pending();
    ++sends_;
    if (n > 0) {
      batch_.consume(static_cast<size_t>(n));
      bytes_sent_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      waiting_writable_ = true;
      socket_.async_wait(asio::local::stream_protocol::socket::wait_write,
                         [self = shared_from_this()](const boost::system::error_code& ec) {
                           self->waiting_writable_ = false;
                           if (self->closed_) return;
                           if (ec) {
                             self->fail(Error{Errc::io, "cannot wait for the plugin socket: " + ec.message(), {}});
                             return;
                           }
                           self->flush();
                         });
      return;
    }
    fail(sys_error("cannot write to the plugin socket", "send"));
    return;
  }
}

}  // namespace stockade::supervisor
