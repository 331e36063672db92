#include "control/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/error.h"
#include "base/syscall.h"
#include "control/builder.h"
#include "wire/frame_reader.h"

namespace stockade::control {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr const char* kHowToFind = "(--socket, $STOCKADE_SOCKET)";

Clock::time_point deadline_of(WaitLimit limit) {
  return limit ? Clock::now() + *limit : Clock::time_point::max();
}

// poll(2)'s timeout for what is left until `deadline` (-1: none), rounded up
// so a wait never ends a millisecond early and spins.
int poll_timeout(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return -1;
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// Bodies a client sends; the daemon never answers with one.
bool is_request(const Body& body) {
  return std::holds_alternative<CallRequest>(body) || std::holds_alternative<StatusRequest>(body) ||
         std::holds_alternative<InfoRequest>(body) || std::holds_alternative<HealthRequest>(body) ||
         std::holds_alternative<ReloadRequest>(body) ||
         std::holds_alternative<RestartRequest>(body) ||
         std::holds_alternative<MetricsRequest>(body);
}

const char* body_kind(const Body& body) {
  static constexpr const char* kNames[] = {
      "Call",        "CallReply",   "Error",      "Status",      "StatusReply",
      "Info",        "InfoReply",   "Health",     "HealthReply", "Reload",
      "ReloadReply", "Restart",     "RestartReply", "Metrics",   "MetricsReply"};
  static_assert(std::size(kNames) == std::variant_size_v<Body>);
  return kNames[body.index()];
}

// The daemon's Error with id 0: the connection itself was refused.
Error connection_error(const std::string& path, const ErrorInfo& e) {
  const bool denied = e.code == fb::Code::PERMISSION_DENIED;
  std::string what = std::string("the daemon ") +
                     (denied ? "refused this client" : "closed this connection") + ": " +
                     code_name(e.code) + (e.message.empty() ? "" : ": " + e.message);
  if (denied) what += " (the config's \"clients\" list does not admit this uid or group)";
  return Error{denied ? Errc::refused : Errc::protocol, std::move(what), path};
}

}  // namespace

std::string resolve_socket_path(const std::optional<std::string>& flag) {
  if (flag) return *flag;
  if (const char* env = std::getenv(kSocketEnvVar); env != nullptr && *env != '\0') return env;
  return kDefaultSocketPath;
}

struct ControlClient::State {
  State(UniqueFd f, std::string p, const ClientOptions& o)
      : fd(std::move(f)), path(std::move(p)), options(o), builder(o.limits),
        reader(o.limits.max_frame, kReadChunk) {}

  // Reads what the socket has, waiting until `deadline` for the first byte;
  // only the holder of the reader's role calls it, without `mu`.
  Result<std::vector<Message>> read_frames(Clock::time_point deadline);
  // Files answers under their ids; fails the connection on a bad one. Under `mu`.
  void apply(Result<std::vector<Message>> frames);
  void fail(Error error);  // under `mu`
  // Takes the reader's role if nobody has it, reads once (up to `deadline`),
  // files what came and hands the role back. Under `lock`; returns false if
  // another thread has the role.
  bool read_once(std::unique_lock<std::mutex>& lock, Clock::time_point deadline);
  // Writes `bytes` whole, reading answers while the socket is full. Under write_mu.
  Status write_all(std::span<const std::uint8_t> bytes, Clock::time_point deadline);
  Result<Body> wait(std::uint64_t id, Clock::time_point deadline);
  // Encodes `body` with a fresh id into `out`. Under write_mu.
  Result<std::uint64_t> encode(const Body& body, std::vector<std::uint8_t>& out);
  Result<std::vector<std::uint64_t>> send(std::span<const Body> bodies, Clock::time_point deadline);

  UniqueFd fd;
  const std::string path;
  const ClientOptions options;

  std::mutex write_mu;  // one frame (or batch) on the socket at a time
  ControlBuilder builder;
  std::uint64_t next_id = 1;

  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<std::uint64_t, Body> ready;  // answered, not yet collected
  std::unordered_set<std::uint64_t> pending;      // sent, not yet answered
  std::unordered_set<std::uint64_t> abandoned;    // waits that timed out
  bool reading = false;                           // someone holds the reader's role
  std::optional<Error> failed;
  wire::FrameReader reader;  // the role holder's alone
};

Result<std::vector<Message>> ControlClient::State::read_frames(Clock::time_point deadline) {
  std::vector<Message> out;
  pollfd p{fd.get(), POLLIN, 0};
  const int ready_fds = retry_on_eintr([&] { return ::poll(&p, 1, poll_timeout(deadline)); });
  if (ready_fds < 0) return sys_error("poll on the control socket failed", path);
  if (ready_fds == 0) return out;
  auto space = reader.prepare(kReadChunk);
  const ssize_t n =
      retry_on_eintr([&] { return ::recv(fd.get(), space.data(), space.size(), MSG_DONTWAIT); });
  if (n < 0) {
    if (errno == EAGAIN) return out;
    return sys_error("cannot read from the daemon's socket", path);
  }
  if (n == 0) {
    if (reader.at_frame_boundary()) {
      return Error{Errc::unavailable,
                   "the daemon closed the connection before answering (did stockade serve stop "
                   "or restart?)",
                   path};
    }
    return Error{Errc::protocol,
                 "the daemon closed the connection in the middle of a frame (" +
                     std::to_string(reader.buffered()) + " bytes of it received)",
                 path};
  }
  reader.commit(static_cast<std::size_t>(n));
  for (;;) {
    auto body = reader.next();
    if (!body) {
      return Error{Errc::protocol, "bad frame from the daemon: " + body.error().message(), path};
    }
    if (!*body) return out;
    auto message = decode_message(**body, options.limits);
    if (!message) {
      return Error{Errc::protocol, "bad answer from the daemon: " + message.error().message(),
                   path};
    }
    out.push_back(std::move(*message));
  }
}

void ControlClient::State::fail(Error error) {
  if (!failed) failed = std::move(error);
  pending.clear();
  cv.notify_all();
}

void ControlClient::State::apply(Result<std::vector<Message>> frames) {
  // What arrived before a failure is still filed: those answers are good.
  const bool ok = frames.ok();
  std::vector<Message> messages = ok ? std::move(*frames) : std::vector<Message>{};
  for (auto& m : messages) {
    if (failed) break;
    if (m.id == 0) {
      const auto* e = std::get_if<ErrorInfo>(&m.body);
      fail(e != nullptr ? connection_error(path, *e)
                        : Error{Errc::protocol,
                                std::string("the daemon sent a ") + body_kind(m.body) +
                                    " with id 0 (only an Error may have it)",
                                path});
    } else if (is_request(m.body)) {
      fail(Error{Errc::protocol,
                 std::string("the daemon sent a request (") + body_kind(m.body) + ", id " +
                     std::to_string(m.id) + ") instead of an answer",
                 path});
    } else if (pending.erase(m.id) == 1) {
      ready.emplace(m.id, std::move(m.body));
    } else if (abandoned.erase(m.id) == 1) {
      // The answer to a wait that gave up: dropped, as documented.
    } else {
      fail(Error{Errc::protocol,
                 "the daemon answered id " + std::to_string(m.id) +
                     ", which no request on this connection has (or that was answered already)",
                 path});
    }
  }
  if (!ok) fail(std::move(frames).error());
  cv.notify_all();
}

bool ControlClient::State::read_once(std::unique_lock<std::mutex>& lock,
                                     Clock::time_point deadline) {
  if (reading) return false;
  reading = true;
  lock.unlock();
  auto frames = read_frames(deadline);
  lock.lock();
  reading = false;
  apply(std::move(frames));  // notifies: a waiter may take the role next
  return true;
}

Status ControlClient::State::write_all(std::span<const std::uint8_t> bytes,
                                       Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t n = retry_on_eintr(
        [&] { return ::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT); });
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN) {
      const int err = errno;
      // A daemon that refused this client wrote why before it closed: read it.
      std::unique_lock lock(mu);
      while (!failed && !reading) {
        reading = true;
        lock.unlock();
        auto frames = read_frames(Clock::now());
        lock.lock();
        reading = false;
        const bool nothing = frames.ok() && frames->empty();
        apply(std::move(frames));
        if (nothing) break;
      }
      if (failed) return *failed;
      Error e = sys_error("cannot send to the daemon's socket (did stockade serve stop?)", path, err);
      e.code = Errc::unavailable;
      fail(e);
      return e;
    }
    // The socket is full: wait for room, reading answers meanwhile if no
    // one else is (the daemon may be waiting for us to take them).
    if (Clock::now() >= deadline) {
      Error e{Errc::timeout, "the daemon did not take the request in time", path};
      std::lock_guard lock(mu);
      fail(e);  // half a frame was sent: the stream cannot be used again
      return e;
    }
    bool role = false;
    {
      std::lock_guard lock(mu);
      if (failed) return *failed;
      if (!reading) reading = role = true;
    }
    pollfd p{fd.get(), static_cast<short>(POLLOUT | (role ? POLLIN : 0)), 0};
    const int rc = retry_on_eintr([&] { return ::poll(&p, 1, poll_timeout(deadline)); });
    std::unique_lock lock(mu);
    if (role) {
      reading = false;
      if (rc > 0 && (p.revents & POLLIN) != 0) {
        reading = true;
        lock.unlock();
        auto frames = read_frames(Clock::now());
        lock.lock();
        reading = false;
        apply(std::move(frames));
      }
      cv.notify_all();
    }
    if (rc < 0) {
      Error e = sys_error("poll on the control socket failed", path);
      fail(e);
      return e;
    }
  }
  return {};
}

Result<std::uint64_t> ControlClient::State::encode(const Body& body,
                                                   std::vector<std::uint8_t>& out) {
  const std::uint64_t id = next_id++;
  Result<wire::Frame> frame = std::visit(
      [&](const auto& m) -> Result<wire::Frame> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, CallRequest>) {
          // Without copying the payload into a Message first.
          return builder.encode_call(id, m.plugin, m.method, m.payload, m.timeout_ms,
                                     m.idempotent);
        } else {
          return builder.encode(id, m);
        }
      },
      body);
  if (!frame) return std::move(frame).error();
  out.insert(out.end(), frame->begin(), frame->end());
  return id;
}

Result<std::vector<std::uint64_t>> ControlClient::State::send(std::span<const Body> bodies,
                                                              Clock::time_point deadline) {
  std::lock_guard write_lock(write_mu);
  {
    std::lock_guard lock(mu);
    if (failed) return *failed;
  }
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint64_t> ids;
  ids.reserve(bodies.size());
  for (const Body& body : bodies) {
    if (!is_request(body)) {
      return Error{Errc::invalid_input,
                   std::string("a ") + body_kind(body) + " is an answer, not a request", path};
    }
    auto id = encode(body, bytes);
    if (!id) return std::move(id).error();
    ids.push_back(*id);
  }
  {
    // Pending before the first byte leaves: the answer may come at once.
    std::lock_guard lock(mu);
    pending.insert(ids.begin(), ids.end());
  }
  if (auto written = write_all(bytes, deadline); !written) return written.error();
  return ids;
}

Result<Body> ControlClient::State::wait(std::uint64_t id, Clock::time_point deadline) {
  std::unique_lock lock(mu);
  for (;;) {
    if (auto it = ready.find(id); it != ready.end()) {
      Body body = std::move(it->second);
      ready.erase(it);
      return body;
    }
    if (failed) return *failed;
    if (pending.count(id) == 0) {
      return Error{Errc::invalid_input,
                   "request " + std::to_string(id) + " was not sent or was waited for already",
                   path};
    }
    if (Clock::now() >= deadline) {
      pending.erase(id);
      abandoned.insert(id);
      return Error{Errc::timeout, "no answer from the daemon to request " + std::to_string(id) +
                                      " in time (the request is abandoned)",
                   path};
    }
    if (!read_once(lock, deadline)) {
      if (deadline == Clock::time_point::max()) {
        cv.wait(lock);
      } else {
        cv.wait_until(lock, deadline);
      }
    }
  }
}

ControlClient::ControlClient(std::unique_ptr<State> state) : state_(std::move(state)) {}
ControlClient::ControlClient(ControlClient&&) noexcept = default;
ControlClient& ControlClient::operator=(ControlClient&&) noexcept = default;
ControlClient::~ControlClient() = default;

Result<ControlClient> ControlClient::connect(const std::string& path, const ClientOptions& options) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Error{Errc::invalid_input,
                 "a control socket path must have 1 to " +
                     std::to_string(sizeof addr.sun_path - 1) + " bytes (this one has " +
                     std::to_string(path.size()) + ")",
                 path};
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket(AF_UNIX) failed", path);
  const int rc = retry_on_eintr(
      [&] { return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr); });
  if (rc != 0) {
    switch (errno) {
      case ENOENT:
      case ENOTDIR:
        return Error{Errc::unavailable,
                     std::string("no such socket: is stockade serve running? ") + kHowToFind,
                     path};
      case ECONNREFUSED:
        return Error{Errc::unavailable,
                     std::string("connection refused, nothing listens there: is stockade serve "
                                 "running? ") +
                         kHowToFind,
                     path};
      case EACCES:
      case EPERM:
        return Error{Errc::refused,
                     "permission denied: this user may not open the control socket (its "
                     "control.mode and control.group decide who may; ask the operator to add "
                     "you to that group)",
                     path};
      default: return sys_error("cannot connect to the control socket", path);
    }
  }
  return adopt(std::move(fd), path, options);
}

ControlClient ControlClient::adopt(UniqueFd fd, std::string name, const ClientOptions& options) {
  return ControlClient(std::make_unique<State>(std::move(fd), std::move(name), options));
}

const std::string& ControlClient::path() const { return state_->path; }

Result<std::uint64_t> ControlClient::send(const Body& request) {
  auto ids = state_->send(std::span(&request, 1), Clock::time_point::max());
  if (!ids) return std::move(ids).error();
  return ids->front();
}

Result<Body> ControlClient::wait(std::uint64_t id, WaitLimit limit) {
  return state_->wait(id, deadline_of(limit));
}

Result<Body> ControlClient::request(const Body& request, WaitLimit limit) {
  const auto deadline = deadline_of(limit);
  auto ids = state_->send(std::span(&request, 1), deadline);
  if (!ids) return std::move(ids).error();
  return state_->wait(ids->front(), deadline);
}

std::vector<Result<Body>> ControlClient::batch(std::span<const Body> requests, WaitLimit limit) {
  const auto deadline = deadline_of(limit);
  std::vector<Result<Body>> out;
  out.reserve(requests.size());
  auto ids = state_->send(requests, deadline);
  if (!ids) {
    out.assign(requests.size(), Result<Body>(ids.error()));
    return out;
  }
  for (const std::uint64_t id : *ids) out.push_back(state_->wait(id, deadline));
  return out;
}

template <typename T>
Result<Answer<T>> ControlClient::expect(const char* asked, Result<Body> body) {
  if (!body) return std::move(body).error();
  if (auto* e = std::get_if<ErrorInfo>(&*body)) return Answer<T>(std::move(*e));
  if (auto* t = std::get_if<T>(&*body)) return Answer<T>(std::move(*t));
  Error e{Errc::protocol,
          std::string("the daemon answered a ") + asked + " with a " + body_kind(*body),
          state_->path};
  std::lock_guard lock(state_->mu);
  state_->fail(e);
  return e;
}

Result<Answer<CallReplyInfo>> ControlClient::call(const CallRequest& call, WaitLimit limit) {
  return expect<CallReplyInfo>("Call", request(call, limit));
}
Result<Answer<StatusReplyInfo>> ControlClient::status(WaitLimit limit) {
  // Page after page (kStatusPageSize plugins each, in name order). A daemon
  // that claims more without progress (an empty page, names out of order)
  // or beyond the largest config (max_plugins) is refused, not followed.
  constexpr std::size_t kMaxPlugins = 1'000'000;
  StatusReplyInfo all;
  StatusRequest next;
  for (;;) {
    auto page = expect<StatusReplyInfo>("Status", request(next, limit));
    if (!page || std::holds_alternative<ErrorInfo>(*page)) return page;
    auto& reply = std::get<StatusReplyInfo>(*page);
    for (auto& p : reply.plugins) {
      if (p.name <= next.after || all.plugins.size() >= kMaxPlugins) {
        Error e{Errc::protocol,
                "the daemon's Status pages are not in name order, or list more than 1,000,000 plugins",
                state_->path};
        std::lock_guard lock(state_->mu);
        state_->fail(e);
        return e;
      }
      next.after = p.name;
      all.plugins.push_back(std::move(p));
    }
    if (!reply.more) return Answer<StatusReplyInfo>(std::move(all));
    if (reply.plugins.empty()) {
      Error e{Errc::protocol, "the daemon sent an empty Status page with more to follow", state_->path};
      std::lock_guard lock(state_->mu);
      state_->fail(e);
      return e;
    }
  }
}
Result<Answer<InfoReplyInfo>> ControlClient::info(const std::string& plugin, WaitLimit limit) {
  return expect<InfoReplyInfo>("Info", request(InfoRequest{plugin}, limit));
}
Result<Answer<HealthReplyInfo>> ControlClient::health(const std::string& plugin, WaitLimit limit) {
  return expect<HealthReplyInfo>("Health", request(HealthRequest{plugin}, limit));
}
Result<Answer<ReloadReplyInfo>> ControlClient::reload(WaitLimit limit) {
  return expect<ReloadReplyInfo>("Reload", request(ReloadRequest{}, limit));
}
Result<Answer<RestartReplyInfo>> ControlClient::restart(const std::string& plugin,
                                                        WaitLimit limit) {
  return expect<RestartReplyInfo>("Restart", request(RestartRequest{plugin}, limit));
}
Result<Answer<MetricsReplyInfo>> ControlClient::metrics(WaitLimit limit) {
  return expect<MetricsReplyInfo>("Metrics", request(MetricsRequest{}, limit));
}

}  // namespace stockade::control
