#include "supervisor/channel.h"
#include "base/error.h"

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

void Channel::close() {
  if (closed_) return;
  closed_ = true;
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
    ssize_t n = ::recv(socket_.native_handle(), space.data(), space.size(), MSG_DONTWAIT);
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
    in_read_ = true;
    on_frame_(**envelope);
    in_read_ = false;
    if (closed_) return false;
  }
  // What the handlers of these frames queued (the next calls of a busy
  // caller) leaves now, in one send, without another trip through the loop.
  flush();
  return !closed_;
}

Status Channel::send(wire::Frame frame) {
  if (closed_) return Error{Errc::unavailable, "the plugin's channel is closed", {}};
  if (auto added = batch_.add(frame); !added) return added;
  schedule_flush();
  return {};
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
    auto pending = batch_.pending();
    // MSG_NOSIGNAL: a plugin that died must cost an EPIPE, not our SIGPIPE.
    ssize_t n = ::send(socket_.native_handle(), pending.data(), pending.size(), MSG_NOSIGNAL);
    ++sends_;
    if (n > 0) {
      batch_.consume(static_cast<size_t>(n));
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
