// The launch steps that differ between a binary plugin and an interpreted
// one (manifest "interpreter"), shared by the runtime (supervisor/launch.cpp)
// and `stockade jail`:
//  - binary: the endpoint is opened, hashed and exec'd (whitelist/whitelist.h);
//  - interpreted: the script and "files" are sealed and checked first
//    (whitelist/plugin_files.h), the interpreter is the binary that is
//    opened, hashed and exec'd (pinned as NAME@PATH), and the sealed copies
//    are provided at kPluginFilesInside.
#pragma once

#include <optional>

#include "stockade/result.h"
#include "config/manifest.h"
#include "sandbox/policy.h"
#include "whitelist/plugin_files.h"
#include "whitelist/whitelist.h"

namespace stockade::supervisor {

// nullopt for a binary plugin. `whitelist` nullptr: development mode.
Result<std::optional<VerifiedPluginFiles>> verify_interpreted_files(const Manifest& manifest,
                                                                    const Whitelist* whitelist);

// The interpreter (its symlinks followed, checked) or the endpoint binary.
Result<OpenedBinary> open_plugin_binary(const Manifest& manifest);

// verify_interpreter or verify (or the development mode when `whitelist` is
// nullptr), with `digests` for the hash if given (whitelist/digest_cache.h).
Result<VerifiedBinary> verify_plugin_binary(OpenedBinary&& opened, const Manifest& manifest,
                                            const Whitelist* whitelist,
                                            DigestCache* digests = nullptr);

// Points `policy` at the sealed copies (borrowed: `files` must outlive the spawn).
void provide_interpreted_files(const VerifiedPluginFiles& files, sandbox::Policy& policy);

}  // namespace stockade::supervisor
