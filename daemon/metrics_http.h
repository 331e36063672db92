// MetricsHttp: the optional HTTP endpoint that Prometheus scrapes (config key
// metrics.listen). GET /metrics answers 200 with render()'s page; any other
// path is 404, any other method on /metrics 405. It serves on a thread and an
// io_context of its own, so a slow scrape never holds up the control socket
// or the plugins' loop.
//
// The endpoint is unauthenticated, so it listens on loopback or a unix
// socket only (config/metrics_config.h), and every peer is bounded: the
// request's size and header count, a deadline to send it (and to read the
// answer), and a number of connections beyond which new ones are closed at
// once. A request over a bound is dropped: the connection is closed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "stockade/result.h"

namespace stockade::daemon {

struct MetricsHttpLimits {
  size_t max_request_bytes = 8192;   // request line and header fields (GET has no body)
  size_t max_header_fields = 64;
  // From the connection (or the previous answer) to the whole request, and
  // then to the answer written: a stalled peer is closed after it.
  std::chrono::milliseconds deadline{10000};
  size_t max_connections = 16;       // open at once; a further one is closed on accept
  size_t max_requests_per_connection = 1000;
};

class MetricsHttp {
 public:
  // Binds `listen` ("127.0.0.1:PORT", "[::1]:PORT" or "unix:/path", as
  // metrics.listen; port 0 lets the kernel pick: see endpoint()) and starts
  // serving. `render` is called on the endpoint's thread, once a scrape.
  // A unix socket left by a daemon that is gone is replaced; one in use, or a
  // file that is not a socket, is an error.
  static Result<std::unique_ptr<MetricsHttp>> start(std::string_view listen,
                                                    std::function<std::string()> render,
                                                    MetricsHttpLimits limits = {});
  // Stops accepting, closes every connection, joins the thread and removes
  // the unix socket.
  ~MetricsHttp();
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Where it listens: "127.0.0.1:9464", "[::1]:9464" or "unix:/path", with the
  // port the kernel picked.
  std::string endpoint() const;

  struct Server;
  explicit MetricsHttp(std::unique_ptr<Server> server);

 private:
  std::unique_ptr<Server> server_;
};

}  // namespace stockade::daemon
