// The one place stockade's messages reach stderr. Every message, from every
// subcommand (fprintf(stderr, ...), spdlog's stderr sink), can carry text we
// do not trust: a manifest's value, a path, a program's name. stderr is
// therefore replaced, at start, by a stream that escapes control characters
// (terminal_text.h) on the way to fd 2; only stockade's own marking of its
// final line on a terminal bypasses it (write_stderr_raw).
#pragma once

#include <chrono>
#include <string_view>

namespace stockade::supervisor {

// Points the C `stderr` at an escaping, line-buffered stream writing to fd 2
// (glibc lets a program assign stderr). Call first thing in main, before any
// logger captures the old one. A failure leaves stderr as it was.
void install_escaping_stderr();

// Writes `bytes` to fd 2 unescaped, waiting at most `timeout` for the
// descriptor to take them (a stalled reader must not hold stockade's end);
// flushes `stderr` first. Returns false if not everything was written.
bool write_stderr_raw(std::string_view bytes, std::chrono::milliseconds timeout);

}  // namespace stockade::supervisor
