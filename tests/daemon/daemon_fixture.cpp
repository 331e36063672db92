#include "tests/daemon/daemon_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace stockade::testing {

namespace fs = std::filesystem;

std::string stockade_binary() { return STOCKADE_BIN; }

DaemonHost::DaemonHost() : dir_("stockade-daemon-", 0755) {
  plugins_.add("echo");
  plugins_.add("slow");
  config_ = {
      {"plugins_dir", plugins_.path()},
      {"whitelist", plugins_.whitelist_path()},
      {"control", {{"socket", socket_path()}}},
      {"clients", nlohmann::json::array({{{"uid", ::getuid()}, {"plugins", {"*"}}, {"admin", true}}})},
  };
}

DaemonHost::~DaemonHost() {
  // A failing test shows what the daemon said.
  if (::testing::Test::HasFailure() || std::uncaught_exceptions() > 0) std::fprintf(stderr, "--- stockade serve's log:\n%s---\n", log().c_str());
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void DaemonHost::write_config() {
  plugins_.write_whitelist();
  write_file(config_path(), config_.dump(2), 0644);
}

namespace {

bool socket_answers(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

void DaemonHost::start(const std::vector<std::string>& extra_args,
                       const std::map<std::string, std::string>& env) {
  launch(extra_args, env, -1, true);
}

void DaemonHost::start_activated(int listen_fd, bool wait) { launch({}, {}, listen_fd, wait); }

void DaemonHost::launch(const std::vector<std::string>& extra_args,
                        const std::map<std::string, std::string>& env, int listen_fd, bool wait) {
  write_config();
  std::vector<std::string> argv{stockade_binary(), "serve", "--config", config_path()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  std::map<std::string, std::string> environment{{"PATH", "/usr/bin:/bin"}};
  for (const auto& [k, v] : env) environment[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : environment) env_strings.push_back(k + "=" + v);
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  // LISTEN_PID is the child's own pid, known only after fork: its digits are
  // written into this string's room in the child (no allocation there).
  std::string listen_pid = "LISTEN_PID=" + std::string(20, '\0');
  std::string listen_fds = "LISTEN_FDS=1";
  for (auto& e : env_strings) cenv.push_back(e.data());
  if (listen_fd >= 0) {
    cenv.push_back(listen_pid.data());
    cenv.push_back(listen_fds.data());
  }
  cenv.push_back(nullptr);
  UniqueFd log(::open(log_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!log) throw std::runtime_error("cannot create " + log_path());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(log.get(), STDERR_FILENO);
    if (listen_fd >= 0) {
      if (listen_fd != 3 && ::dup2(listen_fd, 3) != 3) ::_exit(126);
      if (listen_fd == 3 && ::fcntl(3, F_SETFD, 0) != 0) ::_exit(126);
      char digits[20];
      int n = 0;
      for (pid_t v = ::getpid(); v > 0 && n < 20; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
      char* out = listen_pid.data() + std::strlen("LISTEN_PID=");
      while (n > 0) *out++ = digits[--n];
    }
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  if (!wait) return;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    if (socket_answers(socket_path())) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("stockade serve exited at start:\n" + this->log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("stockade serve did not listen within 30 s:\n" + this->log());
}

void DaemonHost::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> DaemonHost::wait_exit(std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (pid_ > 0) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() > end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::string DaemonHost::log() const {
  try {
    return read_file(log_path());
  } catch (const std::exception&) {
    return {};
  }
}

bool DaemonHost::log_contains(const std::string& text, std::chrono::milliseconds limit) const {
  return eventually([&] { return log().find(text) != std::string::npos; }, limit);
}

// ---- TestClient

TestClient TestClient::connect(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error("socket failed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("connect(" + path + "): " + std::strerror(errno));
  }
  return TestClient(std::move(fd));
}

void TestClient::send_raw(const std::vector<std::uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

void TestClient::send(const control::Frame& frame) {
  send_raw(std::vector<std::uint8_t>(frame.begin(), frame.end()));
}

void TestClient::call(std::uint64_t id, const std::string& plugin, const std::string& payload,
                      std::optional<std::uint32_t> timeout_ms) {
  auto frame = builder_.encode_call(
      id, plugin, "run", std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
      timeout_ms);
  if (!frame) throw std::runtime_error(frame.error().message());
  send(*frame);
}

std::optional<control::Message> TestClient::next(std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto body = reader_.next();
    if (!body) throw std::runtime_error("bad frame from the daemon: " + body.error().message());
    if (*body) {
      auto message = control::decode_message(**body);
      if (!message) throw std::runtime_error("undecodable frame from the daemon: " + message.error().message());
      return std::move(*message);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error("no answer from the daemon in time (" + std::to_string(reader_.buffered()) + " bytes of a frame)");
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    auto space = reader_.prepare(64 * 1024);
    ssize_t n = ::recv(fd_.get(), space.data(), space.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // closed (ECONNRESET included)
    reader_.commit(static_cast<size_t>(n));
  }
}

bool TestClient::closed_by_daemon(std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  try {
    while (std::chrono::steady_clock::now() < end) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (!next(left)) return true;
    }
  } catch (const std::runtime_error&) {
    return false;
  }
  return false;
}

// ---- describe

std::string describe(const control::Message& message) {
  if (const auto* e = std::get_if<control::ErrorInfo>(&message.body)) {
    return std::string("Error ") + control::code_name(e->code) + ": " + e->message;
  }
  static const char* names[] = {"Call",   "CallReply",   "Error",   "Status",       "StatusReply",
                                "Info",   "InfoReply",   "Health",  "HealthReply",  "Reload",
                                "ReloadReply", "Restart", "RestartReply", "Metrics", "MetricsReply"};
  return names[message.body.index()];
}

std::string payload_text(const control::Message& message) {
  const auto* reply = std::get_if<control::CallReplyInfo>(&message.body);
  if (reply == nullptr) return "<" + describe(message) + ">";
  return std::string(reply->payload.begin(), reply->payload.end());
}

}  // namespace stockade::testing
