#include "daemon/connection.h"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/write.hpp>

#include "daemon/bounds.h"

namespace stockade::daemon {

std::string Peer::describe() const {
  return "uid " + std::to_string(credentials.uid) + " gid " + std::to_string(credentials.gid) +
         " pid " + std::to_string(pid);
}

Result<Peer> read_peer(int fd) {
  Peer peer;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return Error{Errc::io, "cannot read the peer's credentials", "getsockopt(SO_PEERCRED)", errno};
  }
  peer.credentials.uid = cred.uid;
  peer.credentials.gid = cred.gid;
  peer.pid = cred.pid;
  // SO_PEERGROUPS (Linux 4.13): the supplementary groups at connect().
  std::vector<gid_t> groups(64);
  for (int tries = 0; tries < 4; ++tries) {
    socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
      groups.resize(bytes / sizeof(gid_t));
      peer.credentials.groups = std::move(groups);
      return peer;
    }
    if (errno != ERANGE) {
      return Error{Errc::io, "cannot read the peer's groups", "getsockopt(SO_PEERGROUPS)", errno};
    }
    // The kernel said how many bytes it needs (bounded by NGROUPS_MAX).
    groups.resize(std::min<size_t>(bytes / sizeof(gid_t) + 1, 65536));
  }
  return Error{Errc::io, "the peer's group list kept growing", "getsockopt(SO_PEERGROUPS)", ERANGE};
}

Connection::Connection(UnixSocket socket, Peer peer, supervisor::ClientAccess access,
                       ConnectionOwner& owner, const control::ControlLimits& limits)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      access_(std::move(access)),
      owner_(owner),
      limits_(limits),
      builder_(limits),
      reader_(limits.max_frame, kReadChunk),
      frame_timer_(socket_.get_executor()) {}

void Connection::start() { read_more(); }

bool Connection::may_read() const {
  return !closed_ && !read_stopped_ && in_flight_ < kMaxRequestsInFlight &&
         out_bytes_ < kMaxQueuedReplyBytes;
}

void Connection::read_more() {
  if (reading_ || !may_read()) return;
  reading_ = true;
  // Into a buffer of our own, not FrameReader::prepare(): answers finishing
  // while this read is pending call reader_.next(), which may move the
  // reader's bytes under a prepared span.
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                            self->reading_ = false;
                            if (self->closed_) return;
                            if (self->lingering_) {
                              self->discard_until_eof();
                              return;
                            }
                            if (ec) {
                              // EOF or reset: the client is gone; its calls' answers are dropped.
                              self->close();
                              return;
                            }
                            if (auto added = self->reader_.append(std::span(self->read_buffer_.data(), n)); !added) {
                              self->drop("sent a bad frame: " + added.error().message());
                              return;
                            }
                            self->process_buffered();
                            self->read_more();
                          });
}

void Connection::process_buffered() {
  // An answer given inside on_request comes back here: the loop below goes
  // on by itself, without recursing once per buffered frame.
  if (processing_) return;
  processing_ = true;
  struct Done { bool& flag; ~Done() { flag = false; } } done{processing_};
  while (may_read()) {
    auto next = reader_.next();
    if (!next) {
      drop("sent a bad frame: " + next.error().message());
      return;
    }
    if (!*next) {
      if (!reader_.at_frame_boundary()) arm_frame_deadline();
      return;
    }
    // A frame completed: the deadline was for it.
    frame_timer_armed_ = false;
    ++frame_generation_;
    frame_timer_.cancel();
    auto message = control::decode_message(**next, limits_);
    if (!message) {
      drop("sent a frame the control decoder refuses: " + message.error().message());
      return;
    }
    ++in_flight_;
    owner_.on_request(shared_from_this(), std::move(*message));
  }
}

void Connection::arm_frame_deadline() {
  if (frame_timer_armed_) return;
  frame_timer_armed_ = true;
  const std::uint64_t generation = ++frame_generation_;
  frame_timer_.expires_after(kFrameReadDeadline);
  frame_timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || self->closed_ || !self->frame_timer_armed_ || self->frame_generation_ != generation) return;
    self->drop("stalled in the middle of a frame for " + std::to_string(kFrameReadDeadline.count()) + " s");
  });
}

void Connection::drop(const std::string& why) {
  owner_.client_warning("control client (" + peer_.describe() + ") dropped: " + why);
  refuse(control::fb::Code::INVALID_ARGUMENT, why);
}

void Connection::refuse(control::fb::Code code, std::string message) {
  if (closed_ || lingering_) return;
  read_stopped_ = true;
  frame_timer_armed_ = false;
  frame_timer_.cancel();
  control::ErrorInfo error;
  error.code = code;
  if (message.size() > limits_.max_string) message.resize(limits_.max_string);
  error.message = std::move(message);
  if (auto frame = builder_.encode(0, error)) queue_frame(*frame);
  close_when_flushed();
}

void Connection::reply_error(std::uint64_t id, control::fb::Code code, std::string message) {
  control::ErrorInfo error;
  error.code = code;
  if (message.size() > limits_.max_string) message.resize(limits_.max_string);
  error.message = std::move(message);
  reply(id, error);
}

void Connection::finish_request(const Result<control::Frame>& frame) {
  if (in_flight_ > 0) --in_flight_;
  if (closed_) return;
  if (frame) {
    queue_frame(*frame);
  } else {
    // An answer our own builder refuses (too big): the client learns that
    // much, with the request's id if the Error itself can be built.
    owner_.client_warning("an answer could not be encoded: " + frame.error().message());
  }
  process_buffered();
  read_more();
}

void Connection::queue_frame(std::span<const std::uint8_t> frame) {
  out_.emplace_back(frame.begin(), frame.end());
  out_bytes_ += frame.size();
  write_next();
}

void Connection::write_next() {
  if (writing_ || closed_) return;
  if (out_.empty()) {
    if (close_when_flushed_) linger();
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(out_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->out_bytes_ -= self->out_.front().size();
                      self->out_.pop_front();
                      self->write_next();
                      // Answers drained: reading may resume (backpressure).
                      self->process_buffered();
                      self->read_more();
                    });
}

void Connection::stop_reading() {
  read_stopped_ = true;
  if (lingering_) return;  // the timer is the linger's
  frame_timer_armed_ = false;
  frame_timer_.cancel();
}

void Connection::close_when_flushed() {
  close_when_flushed_ = true;
  read_stopped_ = true;
  if (!writing_ && out_.empty()) linger();
}

void Connection::linger() {
  if (lingering_ || closed_) return;
  lingering_ = true;
  // Closing a socket whose peer sent bytes we never read makes the kernel
  // send RST, and the peer may lose our last Error before reading it. So:
  // FIN first, then discard what still arrives until the peer closes too,
  // for kLingerTime at most.
  boost::system::error_code ignored;
  socket_.shutdown(UnixSocket::shutdown_send, ignored);
  frame_timer_armed_ = false;
  ++frame_generation_;
  frame_timer_.expires_after(kLingerTime);
  frame_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->close();
  });
  discard_until_eof();
}

void Connection::discard_until_eof() {
  if (closed_ || reading_) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
    self->reading_ = false;
    if (self->closed_) return;
    if (ec) {
      self->close();
      return;
    }
    self->discard_until_eof();
  });
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  frame_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(UnixSocket::shutdown_both, ignored);
  socket_.close(ignored);
  out_.clear();
  out_bytes_ = 0;
  owner_.on_closed(this);
}

}  // namespace stockade::daemon
