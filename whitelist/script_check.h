// Internal to whitelist/: a "#!" script given where a binary is expected.
// The kernel would run its interpreter by path (unpinned) and fail anyway on
// our close-on-exec fd (execveat ENOENT); the refusal says what to write.
#pragma once

#include <string>

#include "stockade/result.h"

namespace stockade::whitelist_internal {

// Refused (Errc::refused) when the open file starts with "#!": the message
// quotes its first line and shows the manifest's "interpreter", "endpoint"
// and "files" fields, and how to pin them.
Status refuse_script(int fd, const std::string& path);

}  // namespace stockade::whitelist_internal
