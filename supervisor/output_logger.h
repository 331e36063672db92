// Reads a plugin's output pipe (its stdout and stderr, one pipe: one
// descriptor per plugin, not two) on the event loop and logs it line by line
// (the Supervisor's Log: "[plugin] output: line"), bounded and escaped by
// PluginOutput. Plugin text is always a log argument, never a format string.
// Internal to the runtime (includes Asio).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "base/unique_fd.h"
#include "supervisor/log.h"
#include "supervisor/plugin_output.h"

namespace stockade::supervisor {

class OutputLogger : public std::enable_shared_from_this<OutputLogger> {
 public:
  // `stream`: the record's prefix ("output").
  OutputLogger(boost::asio::io_context& io, UniqueFd pipe, std::string plugin, std::string stream,
               const OutputLimits& limits, std::shared_ptr<Log> log);
  // Reads until EOF (the sandbox is gone) or close().
  void start();
  void close();

 private:
  void wait_readable();
  // Reads what the pipe holds now; false at EOF or on an error.
  bool drain();

  boost::asio::posix::stream_descriptor pipe_;
  std::string plugin_;
  std::string stream_;
  std::shared_ptr<Log> log_;
  PluginOutput output_;
  bool closed_ = false;
};

}  // namespace stockade::supervisor
