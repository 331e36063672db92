// spdlog's out-of-line part, compiled once for the whole tree.
//
// Debian ships spdlog as headers plus a shared library only, and header-only
// spdlog costs about 17 s of CPU in every file that includes <spdlog/spdlog.h>
// at -O2 (its -inl.h files and fmt come along). Our programs take no shared
// libspdlog (cmake/Dependencies.cmake says why), so every file of ours
// includes spdlog in its compiled-library mode (SPDLOG_COMPILED_LIB, set by
// the stockade_spdlog target), where the headers only declare, and this file
// defines: the -inl.h files emit ordinary functions here, and the templates
// we use (the sinks, the loggers' factories) are instantiated once.
#include <mutex>

#include <spdlog/async.h>
#include <spdlog/common.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <spdlog/async_logger-inl.h>
#include <spdlog/common-inl.h>
#include <spdlog/details/backtracer-inl.h>
#include <spdlog/details/file_helper-inl.h>
#include <spdlog/details/log_msg-inl.h>
#include <spdlog/details/log_msg_buffer-inl.h>
#include <spdlog/details/os-inl.h>
#include <spdlog/details/periodic_worker-inl.h>
#include <spdlog/details/registry-inl.h>
#include <spdlog/details/thread_pool-inl.h>
#include <spdlog/logger-inl.h>
#include <spdlog/pattern_formatter-inl.h>
#include <spdlog/sinks/ansicolor_sink-inl.h>
#include <spdlog/sinks/base_sink-inl.h>
#include <spdlog/sinks/basic_file_sink-inl.h>
#include <spdlog/sinks/sink-inl.h>
#include <spdlog/sinks/stdout_color_sinks-inl.h>
#include <spdlog/sinks/stdout_sinks-inl.h>
#include <spdlog/spdlog-inl.h>

// The sink bases a sink of ours may derive from.
template class SPDLOG_API spdlog::sinks::base_sink<std::mutex>;
template class SPDLOG_API spdlog::sinks::base_sink<spdlog::details::null_mutex>;

// stdout/stderr, plain and coloured (the default logger is a coloured stdout
// sink; `stockade` logs to a plain stderr one).
template class SPDLOG_API spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::stdout_sink_base<spdlog::details::console_nullmutex>;
template class SPDLOG_API spdlog::sinks::stdout_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::stdout_sink<spdlog::details::console_nullmutex>;
template class SPDLOG_API spdlog::sinks::stderr_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::stderr_sink<spdlog::details::console_nullmutex>;
template class SPDLOG_API spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::ansicolor_sink<spdlog::details::console_nullmutex>;
template class SPDLOG_API spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_nullmutex>;
template class SPDLOG_API spdlog::sinks::ansicolor_stderr_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::ansicolor_stderr_sink<spdlog::details::console_nullmutex>;
template class SPDLOG_API spdlog::sinks::basic_file_sink<std::mutex>;
template class SPDLOG_API spdlog::sinks::basic_file_sink<spdlog::details::null_mutex>;

// The factories behind spdlog::stdout_logger_mt(name) and friends.
using spdlog::synchronous_factory;
template SPDLOG_API std::shared_ptr<spdlog::logger> spdlog::stdout_logger_mt<synchronous_factory>(const std::string&);
template SPDLOG_API std::shared_ptr<spdlog::logger> spdlog::stdout_logger_st<synchronous_factory>(const std::string&);
template SPDLOG_API std::shared_ptr<spdlog::logger> spdlog::stderr_logger_mt<synchronous_factory>(const std::string&);
template SPDLOG_API std::shared_ptr<spdlog::logger> spdlog::stderr_logger_st<synchronous_factory>(const std::string&);
template SPDLOG_API std::shared_ptr<spdlog::logger> spdlog::stdout_color_mt<synchronous_factory>(const std::string&, spdlog::color_mode);
template SPDLOG_API std::shared_ptr<spdlog::logger> spdlog::stdout_color_st<synchronous_factory>(const std::string&, spdlog::color_mode);
template SPDLOG_API std::shared_ptr<spdlog::logger> spdlog::stderr_color_mt<synchronous_factory>(const std::string&, spdlog::color_mode);
template SPDLOG_API std::shared_ptr<spdlog::logger> spdlog::stderr_color_st<synchronous_factory>(const std::string&, spdlog::color_mode);
