// daemon::MetricsHttp for real: a loopback port and a unix socket, spoken to
// with plain sockets, as Prometheus (or a proxy in front of a unix socket)
// would.
#include "daemon/metrics_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/unique_fd.h"
#include "tests/support/temp_dir.h"

namespace stockade::daemon {
namespace {

using namespace std::chrono_literals;

// "127.0.0.1:PORT" or "unix:/path" -> a connected socket.
UniqueFd connect_to(const std::string& endpoint) {
  if (endpoint.rfind("unix:", 0) == 0) {
    const std::string path = endpoint.substr(5);
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ADD_FAILURE() << "connect " << path << ": " << std::strerror(errno);
    }
    return fd;
  }
  const size_t colon = endpoint.rfind(':');
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(endpoint.substr(colon + 1))));
  inet_pton(AF_INET, endpoint.substr(0, colon).c_str(), &addr.sin_addr);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ADD_FAILURE() << "connect " << endpoint << ": " << std::strerror(errno);
  }
  return fd;
}

void send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server dropped us: what some tests expect
    sent += static_cast<size_t>(n);
  }
}

// Everything until the server closes the connection (or resets it).
std::string read_to_end(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return out;
    }
  }
}

std::string round_trip(const std::string& endpoint, const std::string& request) {
  UniqueFd fd = connect_to(endpoint);
  send_all(fd.get(), request);
  return read_to_end(fd.get());
}

std::string get(const std::string& endpoint, const std::string& target) {
  return round_trip(endpoint, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

std::string body_of(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

constexpr const char* kPage = "# HELP up Whether it is up.\n# TYPE up gauge\nup 1\n";

std::unique_ptr<MetricsHttp> start(const std::string& listen, MetricsHttpLimits limits = {}) {
  auto http = MetricsHttp::start(listen, [] { return std::string(kPage); }, limits);
  if (!http) {
    ADD_FAILURE() << http.error().message();
    return nullptr;
  }
  return std::move(*http);
}

TEST(MetricsHttp, GetMetricsOnLoopbackAnswersThePageAsPrometheusText) {
  auto http = start("127.0.0.1:0");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->endpoint().rfind("127.0.0.1:", 0), 0u);
  const std::string response = get(http->endpoint(), "/metrics");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << response;
  EXPECT_EQ(body_of(response), kPage);
  // Prometheus may add parameters to the path.
  EXPECT_EQ(body_of(get(http->endpoint(), "/metrics?format=text")), kPage);
}

TEST(MetricsHttp, OtherPathsAre404AndOtherMethods405) {
  auto http = start("127.0.0.1:0");
  ASSERT_TRUE(http);
  EXPECT_EQ(get(http->endpoint(), "/").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(get(http->endpoint(), "/metricsx").rfind("HTTP/1.1 404", 0), 0u);
  const std::string post = round_trip(http->endpoint(),
      "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  EXPECT_NE(post.find("Allow: GET"), std::string::npos);
}

TEST(MetricsHttp, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto http = start("127.0.0.1:0");
  ASSERT_TRUE(http);
  UniqueFd fd = connect_to(http->endpoint());
  send_all(fd.get(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string both = read_to_end(fd.get());
  const size_t first = both.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(both.find("HTTP/1.1 200", first + 1), std::string::npos) << both;
}

TEST(MetricsHttp, AnOversizedRequestIsDropped) {
  auto http = start("127.0.0.1:0");
  ASSERT_TRUE(http);
  const std::string huge = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(64 * 1024, 'a') +
                           "\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(round_trip(http->endpoint(), huge).find("200 OK"), std::string::npos);
  // Many small fields, under the byte bound but over the count.
  std::string many = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  many += "Connection: close\r\n\r\n";
  EXPECT_EQ(round_trip(http->endpoint(), many).find("200 OK"), std::string::npos);
  // A body on a GET is more than the endpoint reads.
  EXPECT_EQ(round_trip(http->endpoint(), "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                       "Connection: close\r\n\r\nhello").find("200 OK"),
            std::string::npos);
  EXPECT_EQ(round_trip(http->endpoint(), "\x16\x03\x01 garbage\r\n\r\n"), "");
  // And the endpoint still serves.
  EXPECT_EQ(body_of(get(http->endpoint(), "/metrics")), kPage);
}

TEST(MetricsHttp, AStalledClientDoesNotBlockAnotherAndIsClosedAtTheDeadline) {
  auto http = start("127.0.0.1:0", MetricsHttpLimits{.deadline = 300ms});
  ASSERT_TRUE(http);
  UniqueFd stalled = connect_to(http->endpoint());
  send_all(stalled.get(), "GET /metr");  // and nothing more
  EXPECT_EQ(body_of(get(http->endpoint(), "/metrics")), kPage);
  // The stalled one gets no answer, only its end.
  EXPECT_EQ(read_to_end(stalled.get()), "");
}

TEST(MetricsHttp, ConnectionsBeyondTheBoundAreClosedAtOnce) {
  auto http = start("127.0.0.1:0", MetricsHttpLimits{.deadline = 60s, .max_connections = 2});
  ASSERT_TRUE(http);
  UniqueFd a = connect_to(http->endpoint());
  UniqueFd b = connect_to(http->endpoint());
  send_all(a.get(), "GET ");
  send_all(b.get(), "GET ");
  // Both are held open by the server (their sessions exist once it answered
  // something on them or the third is refused): the third is dropped unanswered.
  UniqueFd c = connect_to(http->endpoint());
  send_all(c.get(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(read_to_end(c.get()), "");
  // Once one of them leaves, a new client is served.
  a.reset();
  std::string answer;
  for (int attempt = 0; attempt < 100 && answer.empty(); ++attempt) {
    answer = body_of(get(http->endpoint(), "/metrics"));
    if (answer.empty()) usleep(10000);  // the server has not seen the close yet
  }
  EXPECT_EQ(answer, kPage);
}

TEST(MetricsHttp, UnixSocketServesAndIsRemovedAtTheEnd) {
  testing::TempDir dir;
  const std::string path = dir.file("metrics.sock");
  {
    auto http = start("unix:" + path);
    ASSERT_TRUE(http);
    EXPECT_EQ(http->endpoint(), "unix:" + path);
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    const std::string response = get(http->endpoint(), "/metrics");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    EXPECT_EQ(body_of(response), kPage);
    EXPECT_EQ(get(http->endpoint(), "/nope").rfind("HTTP/1.1 404", 0), 0u);
  }
  struct stat st {};
  EXPECT_NE(stat(path.c_str(), &st), 0);
}

TEST(MetricsHttp, AStaleUnixSocketIsReplacedAndALiveOneOrAFileRefused) {
  testing::TempDir dir;
  const std::string path = dir.file("metrics.sock");
  {
    // A socket bound and closed: what a daemon that died leaves.
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  }
  auto first = start("unix:" + path);
  ASSERT_TRUE(first);
  auto second = MetricsHttp::start("unix:" + path, [] { return std::string(); });
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("in use"), std::string::npos) << second.error().message();
  EXPECT_EQ(body_of(get(first->endpoint(), "/metrics")), kPage);  // untouched

  const std::string file = dir.file("plain");
  testing::write_file(file, "not a socket");
  auto third = MetricsHttp::start("unix:" + file, [] { return std::string(); });
  ASSERT_FALSE(third);
  EXPECT_NE(third.error().message().find("not a socket"), std::string::npos);
}

TEST(MetricsHttp, NonLoopbackAddressesAreRefusedBeforeBinding) {
  auto any = MetricsHttp::start("0.0.0.0:0", [] { return std::string(); });
  ASSERT_FALSE(any);
  EXPECT_NE(any.error().message().find("loopback"), std::string::npos) << any.error().message();
}

}  // namespace
}  // namespace stockade::daemon
