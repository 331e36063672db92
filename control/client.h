// ControlClient: a blocking client of `stockade serve`'s control socket
// (docs/control-protocol.md). Every request gets a fresh non-zero envelope id;
// any number may be in flight, from any number of threads or as one
// pipelined batch, and each caller waits for the answer with its own id.
//
// Threads: there is no reader thread. A caller that waits takes the reader's
// role (leader/follower): it reads frames, files each answer under its id and
// wakes the others; when its own answer is in, it hands the role on. A writer
// whose frame does not fit in the socket buffer reads too while it waits, so
// a batch larger than both buffers cannot deadlock against a daemon blocked
// on its own answers.
//
// Reads are bounded by ControlLimits::max_frame (wire::FrameReader) and every
// answer is verified by decode_control. The connection is failed for good,
// and every waiter told why, by: a frame the decoder refuses, an answer with
// an id no request had, an answer of the wrong kind, an Error with id 0 (the
// daemon refused the peer or a frame), or the end of the stream. An answer
// to a request abandoned by a timed-out wait is dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/unique_fd.h"
#include "control/decoder.h"
#include "control/messages.h"
#include "stockade/result.h"

namespace stockade::control {

// --socket's value, else $STOCKADE_SOCKET (when set and not empty), else
// kDefaultSocketPath.
std::string resolve_socket_path(const std::optional<std::string>& flag);

struct ClientOptions {
  ControlLimits limits{};  // what the client agrees to send and to accept
};

// What the daemon answered a request: the answer asked for, or its Error.
template <typename T>
using Answer = std::variant<T, ErrorInfo>;

// Wait bound of one request; empty waits as long as the connection lives (the
// daemon applies each Call's own deadline).
using WaitLimit = std::optional<std::chrono::milliseconds>;

class ControlClient {
 public:
  // Connects to the unix socket at `path`. Failures name the path and what to
  // do: Errc::unavailable when nothing listens there (no such socket, or
  // connection refused), Errc::refused when the file system says no
  // (permission denied), Errc::invalid_input for a path too long for a
  // sockaddr_un.
  static Result<ControlClient> connect(const std::string& path, const ClientOptions& options = {});
  // Takes an already connected stream socket (a socketpair in tests);
  // `name` stands for the path in messages.
  static ControlClient adopt(UniqueFd fd, std::string name, const ClientOptions& options = {});

  ControlClient(ControlClient&&) noexcept;
  ControlClient& operator=(ControlClient&&) noexcept;
  ~ControlClient();

  // Sends one request (any request body) and returns its id.
  Result<std::uint64_t> send(const Body& request);
  // Waits for the answer to `id`, which send() returned and nobody waited
  // for yet. On a timeout (Errc::timeout) the request is abandoned: its late
  // answer is dropped.
  Result<Body> wait(std::uint64_t id, WaitLimit limit = std::nullopt);
  // send + wait.
  Result<Body> request(const Body& request, WaitLimit limit = std::nullopt);
  // All of `requests` written at once (one write when they fit), then every
  // answer waited for; the results are in the order of `requests`.
  std::vector<Result<Body>> batch(std::span<const Body> requests, WaitLimit limit = std::nullopt);

  // Typed requests: an answer of another kind fails the connection.
  Result<Answer<CallReplyInfo>> call(const CallRequest& call, WaitLimit limit = std::nullopt);
  // Every plugin this client may see, in name order: asked page by page
  // (control-protocol.md, Status); `limit` bounds each page's wait.
  Result<Answer<StatusReplyInfo>> status(WaitLimit limit = std::nullopt);
  Result<Answer<InfoReplyInfo>> info(const std::string& plugin, WaitLimit limit = std::nullopt);
  Result<Answer<HealthReplyInfo>> health(const std::string& plugin, WaitLimit limit = std::nullopt);
  Result<Answer<ReloadReplyInfo>> reload(WaitLimit limit = std::nullopt);
  Result<Answer<RestartReplyInfo>> restart(const std::string& plugin, WaitLimit limit = std::nullopt);
  Result<Answer<MetricsReplyInfo>> metrics(WaitLimit limit = std::nullopt);

  // The socket's path (or adopt's name), as messages show it.
  const std::string& path() const;

 private:
  struct State;
  explicit ControlClient(std::unique_ptr<State> state);
  // The answer of a typed request as a T or an Error; another kind fails the connection.
  template <typename T>
  Result<Answer<T>> expect(const char* asked, Result<Body> body);
  std::unique_ptr<State> state_;
};

}  // namespace stockade::control
