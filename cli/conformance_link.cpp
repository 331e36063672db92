#include "cli/conformance_link.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "base/error.h"
#include "base/fd_passing.h"
#include "base/payload_memfd.h"
#include "base/syscall.h"
#include "wire/frame_decoder.h"

namespace stockade::supervisor::conformance {

namespace {

using wire::fb::Body;

std::string copy(const flatbuffers::String* s) { return std::string(wire::view(s)); }

Received copy_out(const wire::fb::Envelope& envelope) {
  Received r;
  r.id = envelope.id();
  r.type = envelope.body_type();
  auto take_error = [&r](const wire::fb::Error* error) {
    r.failed = true;
    r.code = error->code();
    r.message = copy(error->message());
    r.retryable = error->retryable();
  };
  switch (r.type) {
    case Body::Hello: {
      const auto* hello = envelope.body_as_Hello();
      if (hello->versions() != nullptr) r.versions.assign(hello->versions()->begin(), hello->versions()->end());
      r.name = copy(hello->name());
      r.version = copy(hello->version());
      r.cookie = copy(hello->cookie());
      r.memfd_payloads = hello->memfd_payloads();
      break;
    }
    case Body::ExecuteResponse: {
      const auto* response = envelope.body_as_ExecuteResponse();
      const auto payload = wire::bytes(response->payload());
      r.payload.assign(payload.begin(), payload.end());
      if (response->error() != nullptr) take_error(response->error());
      break;
    }
    case Body::Error:
      take_error(envelope.body_as_Error());
      break;
    case Body::HealthResponse: {
      const auto* health = envelope.body_as_HealthResponse();
      r.status = health->status();
      r.message = copy(health->message());
      break;
    }
    case Body::InfoResponse: {
      const auto* info = envelope.body_as_InfoResponse();
      r.name = copy(info->name());
      r.version = copy(info->version());
      if (info->methods() != nullptr) {
        for (const auto* method : *info->methods()) r.methods.push_back(copy(method));
      }
      break;
    }
    default:
      break;
  }
  return r;
}

// Copies the plugin's output lines to our stderr, prefixed; or drops them.
// Reading is what matters: a plugin whose pipe fills up would block.
void relay(UniqueFd fd, const char* stream, bool quiet) {
  std::string line;
  char chunk[4096];
  for (;;) {
    const ssize_t n = retry_on_eintr([&] { return ::read(fd.get(), chunk, sizeof chunk); });
    if (n <= 0) break;
    if (quiet) continue;
    for (ssize_t i = 0; i < n; ++i) {
      if (chunk[i] != '\n') {
        line.push_back(chunk[i]);
        continue;
      }
      std::fprintf(stderr, "  plugin %s: %s\n", stream, line.c_str());
      line.clear();
    }
  }
  if (!quiet && !line.empty()) std::fprintf(stderr, "  plugin %s: %s\n", stream, line.c_str());
}

}  // namespace

std::string Received::describe() const {
  std::string text = std::string(wire::body_name(type)) + " id=" + std::to_string(id);
  if (type == Body::ExecuteResponse || type == Body::Error) {
    if (failed) {
      text += std::string(" ") + wire::fb::EnumNameErrorCode(code) + ": " + message;
    } else {
      text += " ok (" + std::to_string(payload.size()) + " bytes)";
    }
  }
  return text;
}

Result<std::unique_ptr<PluginLink>> PluginLink::launch(const Manifest& manifest,
                                                       const LaunchSettings& settings,
                                                       std::uint32_t max_frame, bool quiet) {
  auto launched = launch_plugin(manifest, settings);
  if (!launched) return launched.error();
  return std::make_unique<PluginLink>(std::move(*launched), max_frame, quiet);
}

PluginLink::PluginLink(LaunchedPlugin launched, std::uint32_t max_frame, bool quiet)
    : launched_(std::move(launched)), max_frame_(max_frame), reader_(max_frame) {
  relays_.emplace_back(relay, std::move(launched_.output_pipe), "output", quiet);
}

PluginLink::~PluginLink() {
  if (!reaped_) {
    launched_.child.kill();
    (void)launched_.child.wait();
  }
  // The sandbox is gone, so both pipes are at end of file.
  for (auto& thread : relays_) thread.join();
}

Status PluginLink::send_with_fd(std::span<const std::uint8_t> bytes, int fd) {
  const ssize_t n = retry_on_eintr([&] { return stockade::send_with_fd(launched_.socket.get(), bytes, fd); });
  if (n < 0) return sys_error("cannot write to the plugin's socket", "sendmsg");
  return send(bytes.subspan(static_cast<size_t>(n)));
}

Status PluginLink::send(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = retry_on_eintr(
        [&] { return ::send(launched_.socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL); });
    if (n < 0) return sys_error("cannot write to the plugin's socket", "send");
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return {};
}

PluginLink::Next PluginLink::next(std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  for (;;) {
    auto body = reader_.next();
    if (!body) return {Event::bad_frame, {}, body.error().message()};
    if (*body) {
      auto envelope = wire::decode_frame(**body, {.max_frame = max_frame_, .max_memfd_payload = max_memfd_payload_});
      if (!envelope) return {Event::bad_frame, {}, envelope.error().message()};
      Received frame = copy_out(**envelope);
      if (const auto* response = (*envelope)->body_as_ExecuteResponse();
          response != nullptr && response->payload_memfd() != 0) {
        if (fds_.empty()) return {Event::bad_frame, {}, "a payload memfd announced, but no descriptor came with it"};
        UniqueFd fd = std::move(fds_.front());
        fds_.pop_front();
        auto mapped = MappedPayload::map(fd.get(), response->payload_memfd());
        if (!mapped) return {Event::bad_frame, {}, mapped.error().message()};
        frame.payload_memfd = response->payload_memfd();
        frame.payload.assign(reinterpret_cast<const char*>(mapped->bytes().data()), mapped->bytes().size());
      }
      if (fds_.size() > (reader_.at_frame_boundary() ? 0u : 1u)) {
        return {Event::bad_frame, {}, "a descriptor came that no frame announces"};
      }
      return {Event::frame, std::move(frame), {}};
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return {Event::timeout, {}, {}};
    pollfd pfd{launched_.socket.get(), POLLIN, 0};
    const int ready = retry_on_eintr([&] { return ::poll(&pfd, 1, static_cast<int>(left.count())); });
    if (ready < 0) return {Event::bad_frame, {}, "poll on the plugin's socket failed"};
    if (ready == 0) return {Event::timeout, {}, {}};
    auto space = reader_.prepare(64 * 1024);
    ssize_t n = 0;
    if (max_memfd_payload_ > 0) {
      stockade::Received got;
      do {
        got = recv_with_fd(launched_.socket.get(), space);
      } while (got.bytes < 0 && errno == EINTR);
      if (got.truncated) return {Event::bad_frame, {}, "more than one descriptor came with one message"};
      if (got.fd) fds_.push_back(std::move(got.fd));
      n = got.bytes;
    } else {
      n = retry_on_eintr([&] { return ::read(launched_.socket.get(), space.data(), space.size()); });
    }
    if (n <= 0) return {Event::closed, {}, {}};
    reader_.commit(static_cast<size_t>(n));
  }
}

Result<sandbox::ExitStatus> PluginLink::wait_exit(std::chrono::milliseconds timeout) {
  auto status = launched_.child.wait(timeout);
  reaped_ = static_cast<bool>(status);
  return status;
}

}  // namespace stockade::supervisor::conformance
