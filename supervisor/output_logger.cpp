#include "supervisor/output_logger.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>

namespace stockade::supervisor {
namespace {

// How much of a pipe one read takes: a pipe's default capacity.
constexpr size_t kReadBlock = 16 * 1024;

// One buffer for every plugin served by a loop thread, not 16 KiB each: the
// bytes are consumed (split into lines, copied into PluginOutput's bounded
// line) before the handler returns, so nothing outlives one drain(). Idle
// plugins then cost no read buffer at all (issue 13: 10,000 plugins).
std::span<uint8_t> loop_read_buffer() {
  thread_local std::array<uint8_t, kReadBlock> buffer;
  return buffer;
}

// A plugin that writes without pause must not keep the loop for itself:
// after this many reads the wait is re-armed and others get their turn.
constexpr int kReadsPerWakeup = 4;

}  // namespace

OutputLogger::OutputLogger(boost::asio::io_context& io, UniqueFd pipe, std::string plugin,
                           std::string stream, const OutputLimits& limits,
                           std::shared_ptr<Log> log)
    : pipe_(io, pipe.release()),
      plugin_(std::move(plugin)),
      stream_(std::move(stream)),
      log_(std::move(log)),
      output_(limits, [this](std::string_view line) {
        log_->info(plugin_, "{}: {}", stream_, line);
      }) {
  boost::system::error_code ignored;
  pipe_.non_blocking(true, ignored);
}

void OutputLogger::start() { wait_readable(); }

void OutputLogger::close() {
  if (closed_) return;
  closed_ = true;
  output_.finish(PluginOutput::Clock::now());
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

void OutputLogger::wait_readable() {
  pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [self = shared_from_this()](const boost::system::error_code& ec) {
                     if (self->closed_) return;
                     if (ec || !self->drain()) {
                       self->close();
                       return;
                     }
                     self->wait_readable();
                   });
}

bool OutputLogger::drain() {
  const auto buffer = loop_read_buffer();
  for (int i = 0; i < kReadsPerWakeup; ++i) {
    const ssize_t n = ::read(pipe_.native_handle(), buffer.data(), buffer.size());
    if (n > 0) {
      output_.feed(buffer.first(static_cast<size_t>(n)), PluginOutput::Clock::now());
      if (static_cast<size_t>(n) < buffer.size()) return true;  // drained
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    return false;  // EOF: the sandbox is gone; or an error
  }
  return true;
}

}  // namespace stockade::supervisor
