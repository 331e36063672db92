#include "supervisor/output_logger.h"

#include <spdlog/spdlog.h>

namespace stockade::supervisor {

OutputLogger::OutputLogger(boost::asio::io_context& io, UniqueFd pipe, std::string label,
                           const OutputLimits& limits)
    : pipe_(io, pipe.release()),
      label_(std::move(label)),
      output_(limits, [this](std::string_view line) { spdlog::info("[{}] {}", label_, line); }) {}

void OutputLogger::start() { read_some(); }

void OutputLogger::close() {
  if (closed_) return;
  closed_ = true;
  output_.finish(PluginOutput::Clock::now());
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

void OutputLogger::read_some() {
  pipe_.async_read_some(boost::asio::buffer(buffer_),
                        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                          if (self->closed_) return;
                          if (ec) {
                            self->close();
                            return;
                          }
                          self->output_.feed(std::span<const uint8_t>(self->buffer_.data(), n),
                                             PluginOutput::Clock::now());
                          self->read_some();
                        });
}

}  // namespace stockade::supervisor
