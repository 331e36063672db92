// Internal to whitelist/: opening a candidate binary once, safely, and the
// checks made on the open file before and after hashing.
#pragma once

#include <sys/stat.h>

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "whitelist/sha256.h"

namespace stockade::whitelist_internal {

struct HashedBinary {
  UniqueFd fd;  // O_RDONLY|O_CLOEXEC, the file that was hashed
  Sha256Digest digest{};
};

// Opens `path` once (O_PATH, then reopened for reading through the open fd,
// never by path again), refuses anything but a regular, executable file that
// not everyone can write and that nobody holds open for writing (where the
// kernel can tell), then hashes it and refuses it if it changed meanwhile.
Result<HashedBinary> open_and_hash(const std::string& path, bool follow_symlinks);

}  // namespace stockade::whitelist_internal
