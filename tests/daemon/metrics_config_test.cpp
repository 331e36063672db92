// metrics.listen: a loopback address or a unix socket, refused otherwise at
// config load with the reason.
#include "config/metrics_config.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace stockade::supervisor {
namespace {

TEST(MetricsListen, LoopbackAddressesAndUnixSocketsAreAccepted) {
  auto v4 = parse_metrics_listen("127.0.0.1:9464");
  ASSERT_TRUE(v4) << v4.error().message();
  EXPECT_EQ(v4->kind, MetricsListen::Kind::tcp);
  EXPECT_EQ(v4->address, "127.0.0.1");
  EXPECT_EQ(v4->port, 9464);
  auto other_loopback = parse_metrics_listen("127.8.9.10:1");
  ASSERT_TRUE(other_loopback);
  auto v6 = parse_metrics_listen("[::1]:65535");
  ASSERT_TRUE(v6) << v6.error().message();
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->port, 65535);
  auto unix_socket = parse_metrics_listen("unix:/run/stockade/metrics.sock");
  ASSERT_TRUE(unix_socket);
  EXPECT_EQ(unix_socket->kind, MetricsListen::Kind::unix_socket);
  EXPECT_EQ(unix_socket->path, "/run/stockade/metrics.sock");
}

TEST(MetricsListen, OtherAddressesAreRefusedSayingWhy) {
  for (const char* text : {"0.0.0.0:9464", "10.1.2.3:9464", "[::]:9464", "[fe80::1]:9464",
                           "[::ffff:127.0.0.1]:9464", "localhost:9464", "127.1:9464",
                           "192.168.0.1:80"}) {
    auto parsed = parse_metrics_listen(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().what.find("loopback"), std::string::npos) << parsed.error().what;
    EXPECT_NE(parsed.error().what.find("no authentication"), std::string::npos);
    EXPECT_EQ(parsed.error().where, "metrics.listen");
  }
}

TEST(MetricsListen, MalformedValuesAreRefused) {
  for (const char* text : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                           "127.0.0.1:+80", "127.0.0.1:80x", "[::1]", "[::1]9464", "::1:9464",
                           "unix:", "unix:relative.sock", "unix:/run/../etc/x", "unix:/run//x",
                           "http://127.0.0.1:9464"}) {
    EXPECT_FALSE(parse_metrics_listen(text)) << text;
  }
  const std::string long_path = "unix:/" + std::string(107, 'a');
  EXPECT_FALSE(parse_metrics_listen(long_path));
  EXPECT_TRUE(parse_metrics_listen("127.0.0.1:0", /*allow_any_port=*/true));
}

TEST(MetricsListen, TheConfigRefusesANonLoopbackListenAtLoad) {
  auto parsed = parse_config(R"({"metrics": {"listen": "0.0.0.0:9464"}})", "stockade.json");
  ASSERT_TRUE(parsed) << parsed.error().message();
  auto valid = validate_config(*parsed);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().where, "stockade.json: metrics.listen");
  EXPECT_NE(valid.error().what.find("loopback"), std::string::npos);

  auto good = parse_config(R"({"metrics": {"listen": "[::1]:9464"}})", "stockade.json");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->metrics.listen, "[::1]:9464");
  EXPECT_TRUE(validate_config(*good));
  EXPECT_FALSE(parse_config(R"({"metrics": {"listen": "[::1]:9464", "port": 1}})", "x"));
  EXPECT_FALSE(parse_config(R"({"metrics": {"listen": 9464}})", "x"));
}

}  // namespace
}  // namespace stockade::supervisor
