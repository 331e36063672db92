// The config key "metrics" of `stockade serve`: where its optional HTTP
// endpoint for Prometheus listens. Only a loopback address or a unix socket:
// the metrics name every plugin, method and failure of the host, and the
// endpoint has no authentication, so it must not face the network (scrape
// it from another host through a proxy or an agent that adds TLS and auth).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/strict_json.h"
#include "stockade/config.h"

namespace stockade::supervisor {

// "unix:" + a path that fits sun_path (107 bytes).
inline constexpr size_t kMaxMetricsListenBytes = 5 + 107;

// A parsed metrics.listen.
struct MetricsListen {
  enum class Kind { tcp, unix_socket };
  Kind kind = Kind::tcp;
  std::string address{};  // tcp: "127.0.0.1" (any of 127.0.0.0/8) or "::1"
  uint16_t port = 0;      // tcp: 0 only when `allow_any_port` (tests: the kernel picks)
  std::string path{};     // unix_socket: absolute, normalized
};

// "127.0.0.1:9464", "[::1]:9464" or "unix:/run/stockade/metrics.sock". The
// error says what is wrong and why (a non-loopback address is refused, not
// bound). `allow_any_port` accepts port 0; the config never does.
Result<MetricsListen> parse_metrics_listen(std::string_view text, bool allow_any_port = false);

// "metrics": {"listen"}. `r` reads the "metrics" object.
void read_metrics(ObjectReader& r, MetricsEndpoint& out);
// metrics.listen parses (above); problems name `source` and the key.
void validate_metrics(const Config& config, Problems& problems);

}  // namespace stockade::supervisor
