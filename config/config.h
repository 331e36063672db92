// The operator's supervisor config inside stockade: the types are public
// (<stockade/config.h>); here are the parser and validator, which report every
// problem of a file (stockade check lists them all). Manifests request;
// effective_policy() caps each request by these ceilings.
#pragma once

#include <string>
#include <string_view>

#include "stockade/config.h"
#include "stockade/result.h"
#include "config/strict_json.h"

namespace stockade::supervisor {

inline constexpr size_t kMaxConfigBytes = 1024 * 1024;
inline constexpr size_t kMaxConfigListItems = 256;

// JSON text -> Config (types, ranges, unknown keys). Problems are appended to
// `problems` when given; the Error returned is the first.
Result<Config> parse_config(std::string_view text, std::string_view source,
                            Problems* problems = nullptr);

// Grammar and meaning: absolute normalized prefixes, syscall names that can be
// granted at all, non-root ids.
Status validate_config(const Config& config, Problems* problems = nullptr);

// load_config(path) that appends every problem to `problems`.
Result<Config> load_config(const std::string& path, Problems* problems);

}  // namespace stockade::supervisor
