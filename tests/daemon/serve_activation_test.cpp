// `stockade serve` socket-activated as systemd does it (stockade.socket): the
// listening socket arrives as fd 3 with LISTEN_FDS=1 and LISTEN_PID, the
// daemon serves on it without binding, and leaves the socket file to the
// activator on exit. An fd 3 that is not a listening unix stream socket stops
// the start with a message saying what the .socket unit must hold.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "tests/daemon/daemon_fixture.h"

namespace stockade::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A listening AF_UNIX stream socket bound at `path`, as systemd makes it.
UniqueFd listening_socket(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error("socket failed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("bind " + path + ": " + std::strerror(errno));
  }
  if (::listen(fd.get(), 16) != 0) throw std::runtime_error("listen failed");
  return fd;
}

TEST(ServeActivation, ServesOnTheSocketItIsGivenAndLeavesItToTheActivator) {
  DaemonHost host;
  fs::create_directories(fs::path(host.socket_path()).parent_path());
  UniqueFd listener = listening_socket(host.socket_path());
  struct stat before {};
  ASSERT_EQ(::stat(host.socket_path().c_str(), &before), 0);

  host.start_activated(listener.get());
  auto client = TestClient::connect(host.socket_path());
  client.call(1, "echo", "activated");
  auto reply = client.next(30s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(payload_text(*reply), "activated") << describe(*reply);

  host.signal(SIGTERM);
  EXPECT_EQ(host.wait_exit(), 0) << host.log();
  // The same socket file, not removed and not replaced by one of its own.
  struct stat after {};
  ASSERT_EQ(::stat(host.socket_path().c_str(), &after), 0) << host.log();
  EXPECT_EQ(after.st_ino, before.st_ino);
}

TEST(ServeActivation, AnFd3ThatIsNotAListeningUnixSocketStopsTheStartSayingWhy) {
  DaemonHost host;
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  host.start_activated(read_end.get(), /*wait=*/false);
  const auto code = host.wait_exit();
  ASSERT_TRUE(code.has_value()) << host.log();
  EXPECT_NE(*code, 0);
  EXPECT_TRUE(host.log_contains("socket activation")) << host.log();
  EXPECT_FALSE(fs::exists(host.socket_path()));
}

}  // namespace
}  // namespace stockade::testing
