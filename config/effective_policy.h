// Step 3 of 3: the effect. A manifest's request, capped by the operator's
// ceilings, becomes the sandbox::Policy a plugin runs under. Nothing is
// silently lowered: a request beyond a ceiling refuses the launch, naming the
// manifest field and the ceiling.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "stockade/result.h"
#include "sandbox/policy.h"
#include "config/config.h"
#include "config/manifest.h"

namespace stockade::supervisor {

// What the caller adds to the manifest for one launch.
struct LaunchRequest {
  std::string argv0;                               // argv[0] as the plugin sees it
  std::vector<std::string> extra_args;             // appended after the manifest's args
  std::map<std::string, std::string> runtime_env;  // the runtime's own (STOCKADE_*) variables
};

// Refusals are Errc::refused with `where` = "MANIFEST: field" (a missing
// read-only path is Errc::not_found). Every refusal is appended to `problems`
// when given; the Error returned is the first.
Result<sandbox::Policy> effective_policy(const Manifest& manifest, const Ceilings& ceilings,
                                         const SandboxIdentity& identity,
                                         const LaunchRequest& launch,
                                         Problems* problems = nullptr);

}  // namespace stockade::supervisor
