// Reading a small text file (manifest, config) with its size bounded before
// anything is allocated: the file may be written by someone we do not trust.
#pragma once

#include <cstddef>
#include <string>

#include "stockade/result.h"

namespace stockade::supervisor {

// Opens `path` once, refuses anything but a regular file, and reads at most
// `max_bytes` (a larger file is an Errc::limit error naming the path).
Result<std::string> read_text_file(const std::string& path, size_t max_bytes);
// The same for a file already open as `fd` (e.g. by open_trusted, so that the
// file read is the file checked); `path` names it in errors.
Result<std::string> read_text_fd(int fd, const std::string& path, size_t max_bytes);

}  // namespace stockade::supervisor
