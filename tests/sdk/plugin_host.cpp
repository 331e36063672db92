#include "tests/sdk/plugin_host.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <thread>

#include "base/fd_passing.h"
#include "base/payload_memfd.h"
#include "wire/frame_decoder.h"

namespace stockade::testing {

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::string plugin_binary(const std::string& name) {
  return std::string(STOCKADE_PLUGINS_DIR) + "/" + name + "/" + name;
}

PluginHost::PluginHost(const std::string& binary, const LaunchOptions& options) {
  int pair[2];
  check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
  socket_.reset(pair[0]);
  UniqueFd plugin_end(pair[1]);
  const std::string err_path = dir_.file("stderr");
  UniqueFd err(open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  check(err.valid(), "open " + err_path);
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  check(null.valid(), "open /dev/null");

  // Everything the child needs is prepared before fork.
  std::vector<std::string> argv_text = {binary};
  argv_text.insert(argv_text.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string cookie = "STOCKADE_PLUGIN_COOKIE=" + std::string(kCookie);
  std::vector<char*> envp;
  if (options.cookie) envp.push_back(cookie.data());
  envp.push_back(nullptr);
  const int fd3_source = options.socket_on_fd3 ? plugin_end.get()
                         : options.dev_null_on_fd3 ? null.get()
                                                   : -1;

  const rlimit address_space{options.address_space_bytes, options.address_space_bytes};
  pid_ = fork();
  check(pid_ >= 0, "fork");
  if (pid_ == 0) {
    // Raw calls only between fork and exec.
    dup2(null.get(), 0);
    dup2(err.get(), 1);
    dup2(err.get(), 2);
    if (fd3_source >= 0) {
      // dup2 clears FD_CLOEXEC on the new descriptor, but is a no-op when the
      // source already is fd 3.
      if (fd3_source == 3) {
        fcntl(3, F_SETFD, 0);
      } else {
        dup2(fd3_source, 3);
      }
    } else {
      close(3);
    }
    close_range(4, ~0u, 0);
    if (address_space.rlim_cur != 0 && setrlimit(RLIMIT_AS, &address_space) != 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
}

PluginHost::~PluginHost() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void PluginHost::send(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(socket_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    check(n > 0, "send to the plugin");
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

std::optional<Received> PluginHost::receive(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto body = reader_.next();
    if (!body) throw std::runtime_error("malformed frame: " + body.error().message());
    if (*body) {
      auto storage = std::make_unique<std::uint64_t[]>(((*body)->size() + 7) / 8);
      std::memcpy(storage.get(), (*body)->data(), (*body)->size());
      std::span<const std::uint8_t> copy(reinterpret_cast<const std::uint8_t*>(storage.get()),
                                         (*body)->size());
      auto envelope = wire::decode_frame(copy, limits_);
      if (!envelope) throw std::runtime_error("undecodable frame: " + envelope.error().message());
      return Received(std::move(storage), *envelope);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{socket_.get(), POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    auto space = reader_.prepare(64 * 1024);
    stockade::Received got = recv_with_fd(socket_.get(), space);
    const ssize_t n = got.bytes;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    if (got.fd) received_fds_.push_back(std::move(got.fd));
    reader_.commit(static_cast<std::size_t>(n));
  }
}

bool PluginHost::at_eof(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{socket_.get(), POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    std::uint8_t buffer[4096];
    const ssize_t n = read(socket_.get(), buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EINTR)) return true;
  }
}

std::optional<Received> PluginHost::handshake(std::uint32_t max_concurrency,
                                              std::uint32_t max_frame, std::uint32_t memfd_threshold,
                                              std::uint64_t max_payload) {
  auto hello = receive();
  if (!hello || (*hello)->body_type() != wire::fb::Body::Hello) return std::nullopt;
  auto ack = builder_.encode_hello_ack((*hello)->id(), {wire::kProtocolVersion, max_frame,
                                                        max_concurrency, memfd_threshold, max_payload});
  limits_.max_frame = max_frame;
  limits_.max_memfd_payload = max_payload;
  builder_ = wire::FrameBuilder(limits_);
  if (!ack) throw std::runtime_error(ack.error().message());
  // The plugin sends nothing between Hello and our ack, so no buffered bytes
  // are lost; from now on frames are bounded by what was granted.
  reader_ = wire::FrameReader(max_frame);
  send(*ack);
  return hello;
}

void PluginHost::execute(std::uint64_t id, std::string_view method, std::string_view payload,
                         std::uint64_t deadline_ms, std::uint32_t attempt) {
  execute_bytes(id, method, as_bytes(payload), deadline_ms, attempt);
}

void PluginHost::execute_bytes(std::uint64_t id, std::string_view method,
                               std::span<const std::uint8_t> payload, std::uint64_t deadline_ms,
                               std::uint32_t attempt) {
  auto frame = builder_.encode_execute_request(id, method, payload, deadline_ms, attempt);
  if (!frame) throw std::runtime_error(frame.error().message());
  send(*frame);
}

void PluginHost::execute_memfd(std::uint64_t id, std::string_view method, int memfd, std::uint64_t size) {
  auto frame = builder_.encode_execute_request_memfd(id, method, size, 0, 1);
  if (!frame) throw std::runtime_error(frame.error().message());
  check(send_with_fd(socket_.get(), *frame, memfd) == static_cast<ssize_t>(frame->size()), "sendmsg");
}

void PluginHost::cancel(std::uint64_t id) {
  auto frame = builder_.encode_cancel(0, id);
  if (!frame) throw std::runtime_error(frame.error().message());
  send(*frame);
}

void PluginHost::health(std::uint64_t id) {
  auto frame = builder_.encode_health_request(id);
  if (!frame) throw std::runtime_error(frame.error().message());
  send(*frame);
}

void PluginHost::info(std::uint64_t id) {
  auto frame = builder_.encode_info_request(id);
  if (!frame) throw std::runtime_error(frame.error().message());
  send(*frame);
}

void PluginHost::close_request(std::uint32_t grace_ms) {
  auto frame = builder_.encode_close_request(0, grace_ms);
  if (!frame) throw std::runtime_error(frame.error().message());
  send(*frame);
}

void PluginHost::hang_up() { socket_.reset(); }

std::optional<ExecuteResult> PluginHost::execute_result(std::chrono::milliseconds timeout) {
  auto frame = receive(timeout);
  if (!frame) return std::nullopt;
  if ((*frame)->body_type() != wire::fb::Body::ExecuteResponse) {
    throw std::runtime_error(std::string("expected ExecuteResponse, got ") +
                             wire::body_name((*frame)->body_type()));
  }
  const auto* response = (*frame)->body_as_ExecuteResponse();
  ExecuteResult result;
  result.id = (*frame)->id();
  auto payload = wire::bytes(response->payload());
  MappedPayload mapped;
  if (response->payload_memfd() != 0) {
    if (received_fds_.empty()) throw std::runtime_error("a payload memfd announced, no descriptor came");
    UniqueFd fd = std::move(received_fds_.front());
    received_fds_.erase(received_fds_.begin());
    auto checked = MappedPayload::map(fd.get(), response->payload_memfd());
    if (!checked) throw std::runtime_error(checked.error().message());
    mapped = std::move(*checked);
    payload = mapped.bytes();
    result.in_memfd = true;
  }
  result.payload.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (const auto* error = response->error()) {
    result.code = error->code();
    result.message = std::string(wire::view(error->message()));
    result.retryable = error->retryable();
  } else {
    result.ok = true;
  }
  return result;
}

std::optional<int> PluginHost::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::string PluginHost::stderr_text() const { return read_file(dir_.file("stderr")); }

}  // namespace stockade::testing
