// ControlClient against a fake daemon: a thread of the test on the other end
// of a real socketpair (or a real listening unix socket), reading frames with
// wire::FrameReader and answering with ControlBuilder as `stockade serve`
// would, or not quite: out of order, with an unknown id, cut short, closing.
#include <gtest/gtest.h>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "control/builder.h"
#include "control/client.h"
#include "wire/frame_reader.h"

namespace stockade::control {
namespace {

using namespace std::chrono_literals;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

// The daemon's end of the connection.
class FakeDaemon {
 public:
  explicit FakeDaemon(UniqueFd fd) : fd_(std::move(fd)) {}

  // The next request, decoded; fails the test on EOF or a bad frame.
  Message read_request() {
    for (;;) {
      auto body = reader_.next();
      EXPECT_TRUE(body.ok());
      if (!body.ok()) return {};
      if (*body) {
        auto m = decode_message(**body);
        EXPECT_TRUE(m.ok()) << m.error().message();
        return m.ok() ? *m : Message{};
      }
      auto space = reader_.prepare(64 * 1024);
      const ssize_t n = ::read(fd_.get(), space.data(), space.size());
      EXPECT_GT(n, 0) << "the client closed or read failed";
      if (n <= 0) return {};
      reader_.commit(static_cast<std::size_t>(n));
    }
  }
  void write_bytes(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
  }
  template <typename T>
  void answer(std::uint64_t id, const T& body) {
    auto frame = builder_.encode(id, body);
    ASSERT_TRUE(frame.ok()) << frame.error().message();
    write_bytes(*frame);
  }
  void echo(const Message& request) {
    const auto& call = std::get<CallRequest>(request.body);
    auto frame = builder_.encode_call_reply(request.id, call.payload);
    ASSERT_TRUE(frame.ok());
    write_bytes(*frame);
  }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  wire::FrameReader reader_;
  ControlBuilder builder_;
};

struct Pair {
  ControlClient client;
  FakeDaemon daemon;
};

Pair make_pair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return Pair{ControlClient::adopt(UniqueFd(fds[0]), "fake.sock"), FakeDaemon(UniqueFd(fds[1]))};
}

CallRequest echo_call(std::string payload) {
  return CallRequest{"echo", "execute", bytes_of(payload), std::nullopt, std::nullopt};
}

TEST(ControlClient, CallGetsItsAnswer) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  std::thread server([&daemon] {
    Message m = daemon.read_request();
    EXPECT_NE(m.id, 0u);
    const auto& call = std::get<CallRequest>(m.body);
    EXPECT_EQ(call.plugin, "echo");
    EXPECT_EQ(call.timeout_ms, std::optional<std::uint32_t>(250));
    daemon.echo(m);
  });
  CallRequest call = echo_call("hello");
  call.timeout_ms = 250;
  auto answer = client.call(call);
  server.join();
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  ASSERT_TRUE(std::holds_alternative<CallReplyInfo>(*answer));
  EXPECT_EQ(text_of(std::get<CallReplyInfo>(*answer).payload), "hello");
}

TEST(ControlClient, EveryRequestHasAFreshId) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  auto a = client.send(StatusRequest{});
  auto b = client.send(MetricsRequest{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, 0u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(daemon.read_request().id, *a);
  EXPECT_EQ(daemon.read_request().id, *b);
}

TEST(ControlClient, AnswersOutOfOrderReachTheirRequests) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  std::thread server([&daemon] {
    std::vector<Message> requests;
    for (int i = 0; i < 3; ++i) requests.push_back(daemon.read_request());
    for (auto it = requests.rbegin(); it != requests.rend(); ++it) daemon.echo(*it);
  });
  const std::vector<Body> batch{echo_call("one"), echo_call("two"), echo_call("three")};
  auto answers = client.batch(batch);
  server.join();
  ASSERT_EQ(answers.size(), 3u);
  const char* expected[] = {"one", "two", "three"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(answers[i].ok()) << answers[i].error().message();
    EXPECT_EQ(text_of(std::get<CallReplyInfo>(*answers[i]).payload), expected[i]);
  }
}

TEST(ControlClient, ThreadsWithCallsInFlightEachGetTheirOwn) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  constexpr int kThreads = 8;
  std::thread server([&daemon] {
    // Answers only once every call is in, last first: every caller waits
    // while another reads.
    std::vector<Message> requests;
    for (int i = 0; i < kThreads; ++i) requests.push_back(daemon.read_request());
    for (auto it = requests.rbegin(); it != requests.rend(); ++it) daemon.echo(*it);
  });
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> callers;
  for (int i = 0; i < kThreads; ++i) {
    callers.emplace_back([&, i] {
      auto answer = client.call(echo_call("caller " + std::to_string(i)));
      if (answer.ok() && std::holds_alternative<CallReplyInfo>(*answer)) {
        got[i] = text_of(std::get<CallReplyInfo>(*answer).payload);
      } else {
        got[i] = answer.ok() ? "an Error" : answer.error().message();
      }
    });
  }
  for (auto& t : callers) t.join();
  server.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(got[i], "caller " + std::to_string(i));
}

TEST(ControlClient, ABatchLargerThanTheSocketBuffersDoesNotDeadlock) {
  // The daemon answers each request as it reads it and blocks when the
  // client's buffer is full; the client must read while it still writes.
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  constexpr int kCalls = 200;
  const std::string big(64 * 1024, 'x');
  std::thread server([&] {
    for (int i = 0; i < kCalls; ++i) daemon.echo(daemon.read_request());
  });
  std::vector<Body> batch(kCalls, Body(echo_call(big)));
  auto answers = client.batch(batch);
  server.join();
  for (const auto& a : answers) {
    ASSERT_TRUE(a.ok()) << a.error().message();
    EXPECT_EQ(std::get<CallReplyInfo>(*a).payload.size(), big.size());
  }
}

TEST(ControlClient, TheDaemonsErrorIsAnAnswerWithItsCode) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  std::thread server([&daemon] {
    Message m = daemon.read_request();
    daemon.answer(m.id, ErrorInfo{.code = fb::Code::NOT_FOUND,
                                  .message = "no plugin named \"nope\"",
                                  .delivery = fb::Delivery::NOT_SENT});
  });
  auto answer = client.call(CallRequest{"nope", "execute", {}, {}, {}});
  server.join();
  ASSERT_TRUE(answer.ok());
  const auto& e = std::get<ErrorInfo>(*answer);
  EXPECT_EQ(e.code, fb::Code::NOT_FOUND);
  EXPECT_EQ(e.message, "no plugin named \"nope\"");
}

TEST(ControlClient, AnAnswerWithAnUnknownIdFailsTheConnection) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  std::thread server([&daemon] {
    Message m = daemon.read_request();
    daemon.answer(m.id + 1000, StatusReplyInfo{});
  });
  auto answer = client.status();
  server.join();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, Errc::protocol);
  EXPECT_NE(answer.error().message().find("which no request on this connection has"),
            std::string::npos)
      << answer.error().message();
  EXPECT_NE(answer.error().message().find("fake.sock"), std::string::npos);
  // Failed for good: the next request is told the same.
  auto again = client.status();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::protocol);
}

TEST(ControlClient, ATruncatedAnswerIsAProtocolError) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  std::thread server([&daemon] {
    Message m = daemon.read_request();
    ControlBuilder builder;
    auto frame = builder.encode(m.id, MetricsReplyInfo{"stockade_calls_total 1\n"});
    ASSERT_TRUE(frame.ok());
    daemon.write_bytes(frame->subspan(0, frame->size() / 2));
    daemon.close();
  });
  auto answer = client.metrics();
  server.join();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, Errc::protocol);
  EXPECT_NE(answer.error().message().find("in the middle of a frame"), std::string::npos)
      << answer.error().message();
}

TEST(ControlClient, GarbageFromTheDaemonIsAProtocolError) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  std::thread server([&daemon] {
    daemon.read_request();
    const std::uint8_t garbage[] = {16, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    daemon.write_bytes(garbage);
  });
  auto answer = client.status();
  server.join();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, Errc::protocol);
  EXPECT_NE(answer.error().message().find("bad answer from the daemon"), std::string::npos)
      << answer.error().message();
}

TEST(ControlClient, TheDaemonClosingMidCallEndsEveryWaiter) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  std::thread server([&daemon] {
    daemon.read_request();
    daemon.read_request();
    daemon.close();
  });
  const std::vector<Body> batch{echo_call("a"), StatusRequest{}};
  auto answers = client.batch(batch);
  server.join();
  for (const auto& a : answers) {
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, Errc::unavailable);
    EXPECT_NE(a.error().message().find("closed the connection before answering"),
              std::string::npos)
        << a.error().message();
  }
}

TEST(ControlClient, ARefusedPeerIsToldWhy) {
  // The daemon's refusal: Error{PERMISSION_DENIED} with id 0, then close.
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  daemon.answer(0, ErrorInfo{.code = fb::Code::PERMISSION_DENIED,
                             .message = "uid 65534 is not in the access list"});
  daemon.close();
  auto answer = client.call(echo_call("x"));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, Errc::refused);
  EXPECT_NE(answer.error().message().find("PERMISSION_DENIED: uid 65534 is not in the access list"),
            std::string::npos)
      << answer.error().message();
}

TEST(ControlClient, AnAnswerOfTheWrongKindFailsTheConnection) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  std::thread server([&daemon] {
    Message m = daemon.read_request();
    daemon.answer(m.id, CallReplyInfo{});
  });
  auto answer = client.status();
  server.join();
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.error().message().find("answered a Status with a CallReply"), std::string::npos);
}

TEST(ControlClient, ATimedOutWaitAbandonsItsRequestAndTheLateAnswerIsDropped) {
  Pair pair = make_pair();  // named members: clang 14 cannot capture structured bindings
  auto& client = pair.client;
  auto& daemon = pair.daemon;
  auto slow = client.send(echo_call("slow"));
  ASSERT_TRUE(slow.ok());
  auto first = client.wait(*slow, 1ms);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, Errc::timeout);
  std::thread server([&daemon] {
    daemon.echo(daemon.read_request());  // the late answer
    daemon.echo(daemon.read_request());
  });
  auto next = client.call(echo_call("next"));
  server.join();
  ASSERT_TRUE(next.ok()) << next.error().message();
  EXPECT_EQ(text_of(std::get<CallReplyInfo>(*next).payload), "next");
}

TEST(ControlClient, AnAnswerIsNotARequest) {
  Pair pair = make_pair();
  auto& client = pair.client;
  auto id = client.send(CallReplyInfo{});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, Errc::invalid_input);
}

class SocketDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/stockade-client-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // A bound unix socket at dir_/name; listening when `listen` is set.
  UniqueFd bind_socket(const std::string& name, bool listen) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir_ + "/" + name;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (listen) {
      EXPECT_EQ(::listen(fd.get(), 8), 0);
    }
    return fd;
  }
  std::string dir_;
};

TEST_F(SocketDir, NoSuchSocketSaysIsStockadeServeRunning) {
  auto client = ControlClient::connect(dir_ + "/control.sock");
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, Errc::unavailable);
  EXPECT_EQ(client.error().message(),
            dir_ + "/control.sock: no such socket: is stockade serve running? (--socket, "
                   "$STOCKADE_SOCKET)");
}

TEST_F(SocketDir, ASocketNobodyListensOnIsRefused) {
  UniqueFd bound = bind_socket("control.sock", /*listen=*/false);
  auto client = ControlClient::connect(dir_ + "/control.sock");
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, Errc::unavailable);
  EXPECT_NE(client.error().message().find("connection refused"), std::string::npos);
}

TEST_F(SocketDir, ASocketTheUserMayNotOpenSaysPermissionDenied) {
  UniqueFd listening = bind_socket("control.sock", /*listen=*/true);
  const std::string path = dir_ + "/control.sock";
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  // Root passes file modes: the connect is made as uid 65534 then, in a child.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() != 0) {
      if (::chmod(path.c_str(), 0) != 0) ::_exit(11);
    } else if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
               ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(10);
    }
    auto client = ControlClient::connect(path);
    if (client.ok()) ::_exit(12);
    if (client.error().code != Errc::refused) ::_exit(13);
    if (client.error().message().rfind(path + ": permission denied: ", 0) != 0) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(SocketDir, ConnectsAndTalksOverARealSocket) {
  UniqueFd listening = bind_socket("control.sock", /*listen=*/true);
  std::thread server([&] {
    FakeDaemon daemon(UniqueFd(::accept4(listening.get(), nullptr, nullptr, SOCK_CLOEXEC)));
    Message m = daemon.read_request();
    daemon.answer(m.id, StatusReplyInfo{{PluginStatusInfo{.name = "echo", .state = fb::PluginState::READY}}});
  });
  auto client = ControlClient::connect(dir_ + "/control.sock");
  ASSERT_TRUE(client.ok()) << client.error().message();
  auto status = client->status();
  server.join();
  ASSERT_TRUE(status.ok()) << status.error().message();
  const auto& reply = std::get<StatusReplyInfo>(*status);
  ASSERT_EQ(reply.plugins.size(), 1u);
  EXPECT_EQ(reply.plugins[0].name, "echo");
}

TEST(ResolveSocketPath, FlagThenEnvironmentThenDefault) {
  ::unsetenv("STOCKADE_SOCKET");
  EXPECT_EQ(resolve_socket_path(std::nullopt), "/run/stockade/control.sock");
  ::setenv("STOCKADE_SOCKET", "", 1);
  EXPECT_EQ(resolve_socket_path(std::nullopt), "/run/stockade/control.sock");
  ::setenv("STOCKADE_SOCKET", "/tmp/env.sock", 1);
  EXPECT_EQ(resolve_socket_path(std::nullopt), "/tmp/env.sock");
  EXPECT_EQ(resolve_socket_path(std::string("/tmp/flag.sock")), "/tmp/flag.sock");
  ::unsetenv("STOCKADE_SOCKET");
}

}  // namespace
}  // namespace stockade::control
