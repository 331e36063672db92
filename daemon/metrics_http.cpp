#include "daemon/metrics_http.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include "base/unique_fd.h"
#include "config/metrics_config.h"
#include "daemon/prometheus_text.h"

namespace stockade::daemon {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using supervisor::MetricsListen;

struct MetricsHttp::Server {
  Server(std::function<std::string()> r, MetricsHttpLimits l) : render(std::move(r)), limits(l) {}

  // Declared before the io_context: sessions, destroyed with its pending
  // handlers, count themselves out of `connections` on the way.
  std::function<std::string()> render;
  const MetricsHttpLimits limits;
  std::atomic<size_t> connections{0};
  MetricsListen listen{};
  std::string endpoint{};

  asio::io_context io{1};
  std::optional<asio::ip::tcp::acceptor> tcp_acceptor{};
  std::optional<asio::local::stream_protocol::acceptor> unix_acceptor{};
  asio::steady_timer accept_retry{io};
  std::thread thread{};

  template <typename Acceptor>
  void accept(Acceptor& acceptor);
  void run();
  void stop();
};

namespace {

Error bind_error(const std::string& what, const std::string& where, const error_code& ec) {
  return Error{Errc::io, what + ": " + ec.message(), where, ec.value()};
}

// One connection: read a request within the deadline, answer it, again while
// the peer keeps the connection alive; close on any error or bound.
template <typename Socket>
class Session : public std::enable_shared_from_this<Session<Socket>> {
 public:
  Session(MetricsHttp::Server& server, Socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()),
        buffer_(server.limits.max_request_bytes) {}
  ~Session() { server_.connections.fetch_sub(1, std::memory_order_relaxed); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { read(); }

 private:
  void arm_deadline() {
    timer_.expires_after(server_.limits.deadline);
    timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
      // A stalled peer: closing the socket ends the read or write in progress.
      if (!ec) self->close();
    });
  }

  void read() {
    arm_deadline();
    parser_.emplace();
    // The header limit bounds the request line and every field together;
    // empty_body refuses any body.
    parser_->header_limit(static_cast<std::uint32_t>(server_.limits.max_request_bytes));
    parser_->body_limit(0);
    http::async_read(socket_, buffer_, *parser_,
                     [self = this->shared_from_this()](const error_code& ec, size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(const error_code& ec) {
    if (ec) return close();  // closed, garbage, over a bound, or the deadline
    const auto& request = parser_->get();
    size_t fields = 0;
    for (auto it = request.begin(); it != request.end(); ++it) {
      if (++fields > server_.limits.max_header_fields) return close();
    }
    ++requests_;
    const bool keep_alive =
        request.keep_alive() && requests_ < server_.limits.max_requests_per_connection;
    answer(request, keep_alive);
    http::async_write(socket_, response_,
                      [self = this->shared_from_this(), keep_alive](const error_code& wec, size_t) {
                        if (wec || !keep_alive) return self->close();
                        self->read();
                      });
  }

  void answer(const http::request<http::empty_body>& request, bool keep_alive) {
    std::string_view target(request.target().data(), request.target().size());
    target = target.substr(0, target.find('?'));  // Prometheus may add parameters
    response_ = {};
    response_.version(request.version());
    response_.keep_alive(keep_alive);
    if (target != "/metrics") {
      response_.result(http::status::not_found);
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "not found: the metrics are at /metrics\n";
    } else if (request.method() != http::verb::get) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET");
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "method not allowed: GET /metrics\n";
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type,
                    std::string(kPrometheusContentType.data(), kPrometheusContentType.size()));
      response_.body() = server_.render();
    }
    response_.prepare_payload();
  }

  void close() {
    error_code ignored;
    timer_.cancel();
    socket_.shutdown(asio::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
  }

  MetricsHttp::Server& server_;
  Socket socket_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_{};
  http::response<http::string_body> response_{};
  size_t requests_ = 0;
};

// A socket at `path` that nobody accepts on is a leftover of a daemon that is
// gone: replace it. Anything else stays, and binding reports it.
Status clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Error{Errc::io, "cannot inspect the metrics socket's path", "lstat " + path, errno};
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Error{Errc::invalid_input,
                 "exists and is not a socket: choose another metrics.listen path or remove it",
                 path};
  }
  UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return Error{Errc::io, "cannot create a probe socket", "socket", errno};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    return Error{Errc::refused,
                 "is in use by a running process (another stockade serve?): stop it or choose "
                 "another metrics.listen path",
                 path};
  }
  if (errno != ECONNREFUSED) {
    return Error{Errc::io, "cannot tell whether the metrics socket is in use", "connect " + path,
                 errno};
  }
  if (unlink(path.c_str()) != 0) {
    return Error{Errc::io, "cannot remove the stale metrics socket", "unlink " + path, errno};
  }
  return {};
}

template <typename Acceptor, typename Endpoint>
Status open_acceptor(Acceptor& acceptor, const Endpoint& endpoint, const std::string& where) {
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return bind_error("cannot create the metrics socket", where, ec);
  if constexpr (std::is_same_v<Acceptor, asio::ip::tcp::acceptor>) {
    // A restarted daemon rebinds at once rather than after TIME_WAIT.
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return bind_error("cannot set SO_REUSEADDR", where, ec);
  }
  acceptor.bind(endpoint, ec);
  if (ec) return bind_error("cannot bind the metrics endpoint", where, ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return bind_error("cannot listen on the metrics endpoint", where, ec);
  return {};
}

}  // namespace

template <typename Acceptor>
void MetricsHttp::Server::accept(Acceptor& acceptor) {
  acceptor.async_accept([this, &acceptor](const error_code& ec, typename Acceptor::protocol_type::socket peer) {
    if (ec == asio::error::operation_aborted) return;  // stop()
    if (ec) {
      // EMFILE and kin: wait a little rather than spin on a full table.
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this, &acceptor](const error_code& wec) {
        if (!wec) accept(acceptor);
      });
      return;
    }
    if (connections.load(std::memory_order_relaxed) >= limits.max_connections) {
      error_code ignored;
      peer.close(ignored);  // over the bound: dropped at once
    } else {
      connections.fetch_add(1, std::memory_order_relaxed);
      std::make_shared<Session<typename Acceptor::protocol_type::socket>>(*this, std::move(peer))
          ->start();
    }
    accept(acceptor);
  });
}

void MetricsHttp::Server::run() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception&) {
      // A handler failed (render() out of memory, say): that connection is
      // lost with its handler; the endpoint keeps serving the others.
    }
  }
}

void MetricsHttp::Server::stop() {
  asio::post(io, [this] {
    error_code ignored;
    if (tcp_acceptor) tcp_acceptor->close(ignored);
    if (unix_acceptor) unix_acceptor->close(ignored);
    accept_retry.cancel();
    io.stop();
  });
  if (thread.joinable()) thread.join();
}

Result<std::unique_ptr<MetricsHttp>> MetricsHttp::start(std::string_view listen,
                                                        std::function<std::string()> render,
                                                        MetricsHttpLimits limits) {
  auto parsed = supervisor::parse_metrics_listen(listen, /*allow_any_port=*/true);
  if (!parsed) return parsed.error();
  auto server = std::make_unique<Server>(std::move(render), limits);
  server->listen = *parsed;
  const std::string where = "metrics.listen " + std::string(listen);
  if (parsed->kind == MetricsListen::Kind::tcp) {
    error_code ec;
    const auto address = asio::ip::make_address(parsed->address, ec);
    if (ec) return bind_error("cannot read the address", where, ec);
    server->tcp_acceptor.emplace(server->io);
    if (auto ok = open_acceptor(*server->tcp_acceptor, asio::ip::tcp::endpoint(address, parsed->port), where); !ok) {
      return ok.error();
    }
    const auto bound = server->tcp_acceptor->local_endpoint(ec);
    if (ec) return bind_error("cannot read the bound port", where, ec);
    server->endpoint = (address.is_v6() ? "[" + parsed->address + "]" : parsed->address) + ":" +
                       std::to_string(bound.port());
    server->accept(*server->tcp_acceptor);
  } else {
    if (auto ok = clear_stale_socket(parsed->path); !ok) return ok.error();
    server->unix_acceptor.emplace(server->io);
    if (auto ok = open_acceptor(*server->unix_acceptor,
                                asio::local::stream_protocol::endpoint(parsed->path), where);
        !ok) {
      return ok.error();
    }
    // Owner and group: a scraper's proxy reads it through the group.
    if (chmod(parsed->path.c_str(), 0660) != 0) {
      const int saved = errno;
      unlink(parsed->path.c_str());
      return Error{Errc::io, "cannot set the metrics socket's mode", "chmod " + parsed->path, saved};
    }
    server->endpoint = "unix:" + parsed->path;
    server->accept(*server->unix_acceptor);
  }
  Server& s = *server;
  s.thread = std::thread([&s] { s.run(); });
  return std::make_unique<MetricsHttp>(std::move(server));
}

MetricsHttp::MetricsHttp(std::unique_ptr<Server> server) : server_(std::move(server)) {}

MetricsHttp::~MetricsHttp() {
  server_->stop();
  if (server_->listen.kind == MetricsListen::Kind::unix_socket) {
    unlink(server_->listen.path.c_str());  // ENOENT or not: nothing more to do on the way out
  }
}

std::string MetricsHttp::endpoint() const { return server_->endpoint; }

}  // namespace stockade::daemon
