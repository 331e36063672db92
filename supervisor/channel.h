// Channel: framed, non-blocking I/O on the plugin's socket, on the runtime's
// event loop. Reads go through FrameReader (bounded by max_frame) and
// decode_frame (verified before use); writes are queued in a FrameBatch and
// flushed once per loop iteration, so all frames queued in one iteration leave
// in one send(2): syscalls, not bytes, are the cost of small calls. A frame
// with a large payload (a GatheredFrame) is the exception: with nothing
// queued before it, it leaves at once from the caller's memory.
// Internal to the runtime (includes Asio); owned through shared_ptr so that
// completions arriving after close() find it alive and do nothing.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "wire/frame_batch.h"
#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"
#include "wire/frame_reader.h"

namespace stockade::supervisor {

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  // `on_frame` gets each verified envelope (valid only during the call) and,
  // for an ExecuteRequest/ExecuteResponse with payload_memfd, the descriptor
  // that came with it (unchecked: see MappedPayload); `on_error` gets the
  // first failure (protocol error, EOF, I/O error), once. Neither is called
  // after close().
  using FrameHandler = std::function<void(const wire::fb::Envelope&, UniqueFd payload_fd)>;
  using ErrorHandler = std::function<void(const Error&)>;

  Channel(boost::asio::io_context& io, UniqueFd socket, const wire::DecodeLimits& limits,
          size_t max_queued_bytes, FrameHandler on_frame, ErrorHandler on_error);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  void start();
  // Queues a whole frame; it leaves at the end of this loop iteration, with
  // `attached` (a payload memfd) passed beside its first byte when given.
  // Errc::limit when the output queue is full (the plugin stopped reading).
  Status send(wire::Frame frame, UniqueFd attached = {});
  // A frame whose payload stays in the caller's memory. With nothing queued
  // before it, it is written at once, in one sendmsg of its pieces (no copy
  // of the payload in user space); what the socket does not take is copied
  // into the queue, so the caller's memory is free when this returns.
  // Otherwise it joins the queue (one copy). A frame whose payload is in
  // `head` (small, see FrameBuilder) is queued like send(frame.head).
  // Errc::limit as send().
  Status send(const wire::GatheredFrame& frame);
  // From now on descriptors are taken from the socket (at most one per
  // frame that announces a payload_memfd) and frames may announce payloads
  // in memfds of up to `max_payload` bytes. Until then recv(2) lets the
  // kernel discard any descriptor the plugin sends.
  void accept_memfd_payloads(std::uint64_t max_payload);
  // Encoder sharing the channel's limits, reused for every frame.
  wire::FrameBuilder& builder() { return builder_; }
  // Flushes nothing more, reads nothing more, closes the socket.
  void close();
  bool closed() const { return closed_; }

  uint64_t frames_received() const { return frames_received_; }
  uint64_t sends() const { return sends_; }

 private:
  void read_some();
  void receive();
  bool on_read(size_t n);
  void schedule_flush();
  void flush();
  void fail(const Error& error);
  // Pairs each frame announcing a payload memfd with the next received
  // descriptor; false (after fail) when the pairing is broken.
  bool take_payload_fd(const wire::fb::Envelope& envelope, UniqueFd& fd);
  // One sendmsg/send of pending bytes, the next queued descriptor attached
  // when the bytes start at its frame. The result of the syscall.
  ssize_t send_pending();
  // After a read: the read buffer (64 KiB) is freed kReleaseIdle later
  // unless a partial frame is pending, so that an idle plugin costs no
  // buffer (issue 13: 10,000 plugins on one host). One timer per channel,
  // armed at most once per period: a busy plugin pays one reallocation a
  // period, not one a call.
  void release_when_idle();

  // A socket, not a plain descriptor: Asio then knows a short read drained
  // the socket and does not try another (failing) read before epoll says so.
  boost::asio::local::stream_protocol::socket socket_;
  wire::DecodeLimits limits_;
  wire::FrameReader reader_;
  boost::asio::steady_timer idle_timer_;
  bool idle_timer_armed_ = false;
  wire::FrameBatch batch_;
  wire::FrameBuilder builder_;
  FrameHandler on_frame_;
  ErrorHandler on_error_;
  bool closed_ = false;
  bool flush_posted_ = false;    // a flush is queued on the loop
  bool in_read_ = false;         // handling received frames: flush when done
  bool waiting_writable_ = false;  // the socket buffer was full
  // Descriptors received and not yet paired with a frame (at most one can
  // wait for the rest of its frame), and those queued to leave with a
  // frame, keyed by the stream offset of that frame's first byte.
  bool accept_fds_ = false;
  // Vectors, not deques: an empty libstdc++ deque already holds about 600
  // bytes, twice per idle plugin; these hold one or two entries at a time.
  std::vector<UniqueFd> received_fds_;
  std::vector<std::pair<uint64_t, UniqueFd>> outgoing_fds_;
  uint64_t bytes_queued_ = 0;  // ever added to batch_
  uint64_t bytes_sent_ = 0;    // ever sent
  uint64_t frames_received_ = 0;
  uint64_t sends_ = 0;           // send(2) calls made
};

}  // namespace stockade::supervisor
