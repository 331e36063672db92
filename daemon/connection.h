// One client of the control socket, on the daemon's asio thread: frames in
// (wire::FrameReader, control::decode_message), requests handed to the
// server, answers out in whatever order they finish, with the bounds of
// daemon/bounds.h (requests in flight, queued answer bytes, the frame read
// deadline). A frame that cannot be decoded ends the connection with one
// Error of id 0; no other client notices.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/access_list.h"
#include "daemon/bounds.h"
#include "control/builder.h"
#include "control/decoder.h"
#include "wire/frame_reader.h"

namespace stockade::daemon {

namespace asio = boost::asio;
using UnixSocket = asio::local::stream_protocol::socket;

// Who is connected, as SO_PEERCRED and SO_PEERGROUPS said at accept.
struct Peer {
  supervisor::PeerCredentials credentials{};
  pid_t pid = 0;
  // "uid 1000 gid 1000 pid 4242"
  std::string describe() const;
};

// Reads the peer's credentials off a connected socket.
Result<Peer> read_peer(int fd);

class Connection;

// What a connection needs from the server.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // A decoded request (id non-zero, a request body); answer with
  // Connection::reply / reply_error, exactly once.
  virtual void on_request(const std::shared_ptr<Connection>& connection, control::Message message) = 0;
  virtual void on_closed(Connection* connection) = 0;
  // Rate-limited lines about misbehaving clients.
  virtual void client_warning(const std::string& line) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(UnixSocket socket, Peer peer, supervisor::ClientAccess access, ConnectionOwner& owner,
             const control::ControlLimits& limits);

  void start();

  // Answers: encode and queue; `id` is the request's. Each ends one request
  // in flight. After close() they are dropped.
  template <typename Body>
  void reply(std::uint64_t id, const Body& body) {
    auto frame = builder_.encode(id, body);
    finish_request(frame);
  }
  void reply_error(std::uint64_t id, control::fb::Code code, std::string message);

  // Refuses the peer: one Error{code} with id 0, then the connection closes
  // once it is written.
  void refuse(control::fb::Code code, std::string message);
  // Stops reading new requests; answers still go out (shutdown).
  void stop_reading();
  // Closes once every queued answer is written (or at once with `now`).
  void close_when_flushed();
  void close();

  bool closed() const { return closed_; }
  std::size_t requests_in_flight() const { return in_flight_; }
  const Peer& peer() const { return peer_; }
  const supervisor::ClientAccess& access() const { return access_; }
  void set_access(supervisor::ClientAccess access) { access_ = std::move(access); }

 private:
  void finish_request(const Result<control::Frame>& frame);
  void queue_frame(std::span<const std::uint8_t> frame);
  void read_more();
  void process_buffered();
  bool may_read() const;
  void arm_frame_deadline();
  void write_next();
  void drop(const std::string& why);
  void linger();
  void discard_until_eof();

  UnixSocket socket_;
  Peer peer_;
  supervisor::ClientAccess access_;
  ConnectionOwner& owner_;
  control::ControlLimits limits_;
  control::ControlBuilder builder_;
  wire::FrameReader reader_;
  asio::steady_timer frame_timer_;
  std::uint64_t frame_generation_ = 0;  // which partial frame the timer is for
  bool frame_timer_armed_ = false;

  std::size_t in_flight_ = 0;
  std::deque<std::vector<std::uint8_t>> out_;
  std::size_t out_bytes_ = 0;
  bool writing_ = false;
  bool reading_ = false;          // an async read is outstanding
  bool processing_ = false;       // inside process_buffered
  bool read_stopped_ = false;     // no more requests will be read (refused, shutdown, failed)
  bool close_when_flushed_ = false;
  bool lingering_ = false;        // FIN sent, waiting for the peer's
  std::array<std::uint8_t, 4096> discard_{};
  std::vector<std::uint8_t> read_buffer_ = std::vector<std::uint8_t>(kReadChunk);
  bool closed_ = false;
};

}  // namespace stockade::daemon
