// TempDir: a fresh directory for one test, removed with everything in it when
// the test ends.
#pragma once

#include <sys/types.h>

#include <string>

namespace stockade::testing {

class TempDir {
 public:
  // Creates <base>/<prefix>XXXXXX with `mode` (mkdtemp makes 0700; tests that
  // hand the directory to another uid need it wider).
  explicit TempDir(const std::string& prefix = "stockade-test-", mode_t mode = 0700,
                   const std::string& base = "/tmp");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `content` to `path` (created or truncated) with `mode`, exactly.
void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
// The whole content of `path`; throws std::runtime_error if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace stockade::testing
