#include "config/metrics_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

#include "config/name_rules.h"

namespace stockade::supervisor {
namespace {

constexpr std::string_view kUnixPrefix = "unix:";
constexpr size_t kMaxSunPathBytes = 107;

Error listen_error(std::string what) {
  return Error{Errc::invalid_input, std::move(what), "metrics.listen"};
}

std::string quoted(std::string_view text) { return json_excerpt(std::string(text)); }

Result<uint16_t> parse_port(std::string_view text, std::string_view whole, bool allow_any_port) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text.size() > 5 || ec != std::errc{} || ptr != end || value > 65535 ||
      (value == 0 && !allow_any_port)) {
    return listen_error("needs a port 1..65535 after the last ':' (got " + quoted(whole) + ")");
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

Result<MetricsListen> parse_metrics_listen(std::string_view text, bool allow_any_port) {
  MetricsListen out;
  if (text.substr(0, kUnixPrefix.size()) == kUnixPrefix) {
    out.kind = MetricsListen::Kind::unix_socket;
    out.path = std::string(text.substr(kUnixPrefix.size()));
    if (!is_normalized_absolute_path(out.path) || out.path == "/" ||
        out.path.size() > kMaxSunPathBytes) {
      return listen_error("\"unix:\" needs an absolute path without \".\", \"..\" or empty "
                          "components, at most 107 bytes (got " + quoted(text) + ")");
    }
    return out;
  }
  out.kind = MetricsListen::Kind::tcp;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return listen_error("an IPv6 address is written \"[::1]:PORT\" (got " + quoted(text) + ")");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    in6_addr v6{};
    const std::string host_text(host);
    if (inet_pton(AF_INET6, host_text.c_str(), &v6) != 1 || !IN6_IS_ADDR_LOOPBACK(&v6)) {
      return listen_error("must be a loopback address (\"127.0.0.1:PORT\", \"[::1]:PORT\") or "
                          "\"unix:/path\": the endpoint has no authentication, so it must not "
                          "be reachable from the network (got " + quoted(text) + ")");
    }
    out.address = "::1";
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return listen_error("must be \"127.0.0.1:PORT\", \"[::1]:PORT\" or \"unix:/path\" (got " +
                          quoted(text) + ")");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    in_addr v4{};
    const std::string host_text(host);
    // inet_pton takes dotted quads only: "localhost" or "0x7f.1" are refused
    // rather than resolved, so what is checked is what is bound.
    if (inet_pton(AF_INET, host_text.c_str(), &v4) != 1 || (ntohl(v4.s_addr) >> 24) != 127) {
      return listen_error("must be a loopback address (\"127.0.0.1:PORT\", \"[::1]:PORT\") or "
                          "\"unix:/path\": the endpoint has no authentication, so it must not "
                          "be reachable from the network (got " + quoted(text) + ")");
    }
    out.address = host_text;
  }
  auto number = parse_port(port, text, allow_any_port);
  if (!number) return number.error();
  out.port = *number;
  return out;
}

void read_metrics(ObjectReader& r, MetricsEndpoint& out) {
  r.string("listen", out.listen, {1, kMaxMetricsListenBytes});
}

void validate_metrics(const Config& c, Problems& problems) {
  if (c.metrics.listen.empty()) return;
  auto parsed = parse_metrics_listen(c.metrics.listen);
  if (!parsed) {
    Error e = parsed.error();
    e.where = c.source.empty() ? e.where : c.source + ": " + e.where;
    problems.push_back(std::move(e));
  }
}

}  // namespace stockade::supervisor
