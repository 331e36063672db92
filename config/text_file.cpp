#include "config/text_file.h"
#include "base/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/syscall.h"
#include "base/unique_fd.h"

namespace stockade::supervisor {

Result<std::string> read_text_file(const std::string& path, size_t max_bytes) {
  UniqueFd fd(retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY); }));
  if (!fd) return sys_error("cannot open", path);
  return read_text_fd(fd.get(), path, max_bytes);
}

Result<std::string> read_text_fd(int fd, const std::string& path, size_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return sys_error("cannot stat", path);
  // A FIFO or device would let the writer feed us forever or block us.
  if (!S_ISREG(st.st_mode)) return Error{Errc::invalid_input, "not a regular file", path};
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Error{Errc::limit, "file is larger than " + std::to_string(max_bytes) + " bytes", path};
  }
  // Read up to one byte past the bound: the file may grow after fstat.
  std::string text(max_bytes + 1, '\0');
  size_t used = 0;
  while (used < text.size()) {
    ssize_t n = retry_on_eintr([&] { return ::read(fd, text.data() + used, text.size() - used); });
    if (n < 0) return sys_error("cannot read", path);
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > max_bytes) {
    return Error{Errc::limit, "file is larger than " + std::to_string(max_bytes) + " bytes", path};
  }
  text.resize(used);
  return text;
}

}  // namespace stockade::supervisor
