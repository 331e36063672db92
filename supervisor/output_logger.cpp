#include "supervisor/output_logger.h"


namespace stockade::supervisor {

OutputLogger::OutputLogger(boost::asio::io_context& io, UniqueFd pipe, std::string plugin,
                           std::string stream, const OutputLimits& limits,
                           std::shared_ptr<Log> log)
    : pipe_(io, pipe.release()),
      plugin_(std::move(plugin)),
      stream_(std::move(stream)),
      log_(std::move(log)),
      output_(limits, [this](std::string_view line) {
        log_->info(plugin_, "{}: {}", stream_, line);
      }) {}

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
