#include "tests/hostile/host_canaries.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "tests/support/host_processes.h"

namespace stockade::hostile {

namespace {

long mtime_ns(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
}

std::string current_hostname() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

// True if a connection is waiting on `listener` (non-blocking accept).
bool has_pending_connection(int listener) {
  int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return false;
  close(fd);
  return true;
}

}  // namespace

HostCanaries::HostCanaries() : dir_("stockade-hostile-", 0755) {
  canary_path_ = dir_.file("canary");
  canary_content_ = "host canary " + std::to_string(getpid());
  // 0666: even a write with the sandbox's outer uid would succeed if the file
  // were reachable, so only the jail can keep it intact.
  testing::write_file(canary_path_, canary_content_, 0666);
  canary_mtime_ns_ = mtime_ns(canary_path_);

  tcp_listener_.reset(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!tcp_listener_ || bind(tcp_listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(tcp_listener_.get(), 8) != 0 ||
      getsockname(tcp_listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("TCP listener on 127.0.0.1: " + std::string(std::strerror(errno)));
  tcp_port_ = ntohs(addr.sin_port);

  abstract_name_ = "stockade-hostile-" + std::to_string(getpid()) + "-" + std::to_string(tcp_port_);
  unix_listener_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path + 1, abstract_name_.data(), abstract_name_.size());
  auto un_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstract_name_.size());
  if (!unix_listener_ || bind(unix_listener_.get(), reinterpret_cast<sockaddr*>(&un), un_len) != 0 ||
      listen(unix_listener_.get(), 8) != 0)
    throw std::runtime_error("abstract unix listener: " + std::string(std::strerror(errno)));

  victim_ = fork();
  if (victim_ == 0) {
    for (;;) pause();
  }
  if (victim_ < 0) throw std::runtime_error("fork victim: " + std::string(std::strerror(errno)));

  hostname_ = current_hostname();
  core_pattern_ = testing::read_file("/proc/sys/kernel/core_pattern");
}

HostCanaries::~HostCanaries() {
  if (victim_ > 0) {
    kill(victim_, SIGKILL);
    waitpid(victim_, nullptr, 0);
  }
}

std::vector<std::string> HostCanaries::changes() const {
  std::vector<std::string> changed;
  if (testing::read_file(canary_path_) != canary_content_) changed.push_back("canary content changed");
  if (mtime_ns(canary_path_) != canary_mtime_ns_) changed.push_back("canary mtime changed");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_.path())) ++entries;
  if (entries != 1) changed.push_back("files appeared next to the canary");
  if (has_pending_connection(tcp_listener_.get())) changed.push_back("the 127.0.0.1 listener got a connection");
  if (has_pending_connection(unix_listener_.get())) changed.push_back("the abstract unix listener got a connection");
  // The victim is our child: a kill would show as a zombie until we reap it.
  int status = 0;
  if (waitpid(victim_, &status, WNOHANG) != 0 || !testing::process_alive(victim_))
    changed.push_back("the victim process died");
  if (current_hostname() != hostname_) changed.push_back("the hostname changed");
  if (testing::read_file("/proc/sys/kernel/core_pattern") != core_pattern_) changed.push_back("core_pattern changed");
  return changed;
}

}  // namespace stockade::hostile
