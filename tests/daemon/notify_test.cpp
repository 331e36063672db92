// systemd's notify protocol, received on a datagram socket the test binds:
// READY=1 once listening, RELOADING=1 with MONOTONIC_USEC and READY=1 around
// a reload, WATCHDOG=1 when WATCHDOG_USEC asks for it, STOPPING=1 at SIGTERM.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "tests/daemon/daemon_fixture.h"

namespace stockade::testing {
namespace {

using namespace std::chrono_literals;

class NotifyListener {
 public:
  // `name`: a path, or "@name" for the abstract namespace.
  explicit NotifyListener(const std::string& name) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (name[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      len += 1;
    }
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
      throw std::runtime_error(std::string("bind notify socket: ") + std::strerror(errno));
    }
  }

  // Datagrams until one contains `text`; all of them, joined by "|".
  std::string wait_for(const std::string& text, std::chrono::milliseconds limit = 30s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      std::string message(buffer, static_cast<size_t>(n));
      seen_ += message + "|";
      if (message.find(text) != std::string::npos) return message;
    }
    throw std::runtime_error("no notify message with " + text + "; saw: " + seen_);
  }

 const std::string& seen() const { return seen_; }

 private:
  UniqueFd fd_;
  std::string seen_;
};

TEST(ServeNotify, ReadyReloadingWatchdogAndStoppingReachThePathSocket) {
  DaemonHost host;
  const std::string path = host.path() + "/notify.sock";
  NotifyListener listener(path);
  host.start({}, {{"NOTIFY_SOCKET", path}, {"WATCHDOG_USEC", "200000"}});
  auto ready = listener.wait_for("READY=1");
  EXPECT_NE(ready.find("STATUS=serving"), std::string::npos) << ready;
  listener.wait_for("WATCHDOG=1");
  host.signal(SIGHUP);
  auto reloading = listener.wait_for("RELOADING=1");
  EXPECT_NE(reloading.find("MONOTONIC_USEC="), std::string::npos) << reloading;
  listener.wait_for("READY=1");
  host.signal(SIGTERM);
  listener.wait_for("STOPPING=1");
  EXPECT_EQ(host.wait_exit(), 0) << host.log();
}

TEST(ServeNotify, AnAbstractNotifySocketWorksAndAForeignWatchdogPidIsIgnored) {
  DaemonHost host;
  const std::string name = "@stockade-notify-test-" + std::to_string(::getpid());
  NotifyListener listener(name);
  // WATCHDOG_PID names another process: this daemon must not ping for it.
  host.start({}, {{"NOTIFY_SOCKET", name}, {"WATCHDOG_USEC", "100000"}, {"WATCHDOG_PID", "1"}});
  listener.wait_for("READY=1");
  host.signal(SIGTERM);
  listener.wait_for("STOPPING=1");
  EXPECT_EQ(host.wait_exit(), 0);
  // Everything up to STOPPING was read on the way: no WATCHDOG=1 among it.
  EXPECT_EQ(listener.seen().find("WATCHDOG=1"), std::string::npos) << listener.seen();
}

}  // namespace
}  // namespace stockade::testing
