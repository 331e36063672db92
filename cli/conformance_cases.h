// The cases of `stockade conformance` (PROTOCOL.md, section 18): each drives
// a plugin over the wire as the supervisor would, or as a supervisor must
// never do (an oversized frame, a version the plugin did not offer), and
// says whether the plugin behaved as the protocol requires.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/manifest.h"
#include "stockade/result.h"
#include "supervisor/launch.h"

namespace stockade::supervisor::conformance {

// What the plugin under test implements (PROTOCOL.md, section 18).
inline constexpr const char* kEchoMethod = "echo";            // returns its payload
inline constexpr const char* kSleepMethod = "sleep";          // payload: milliseconds, in decimal
inline constexpr const char* kUnknownMethod = "conformance.unknown";  // NOT_FOUND or UNIMPLEMENTED

struct Target {
  Manifest manifest;
  LaunchSettings settings;
  std::uint32_t max_frame = 0;        // what HelloAck grants: the manifest's, as the supervisor
  std::uint32_t max_concurrency = 0;  // grants them
  std::uint64_t max_payload = 0;      // the manifest's execute.max_payload_mb, in bytes (0: no memfds)
  bool quiet = false;
};

struct CaseResult {
  std::string name;
  bool passed = false;
  std::string detail;  // what was seen: the evidence of a pass, the reason of a failure
};

struct SuiteOutcome {
  std::vector<CaseResult> cases;
  // Set when the first launch failed before the plugin ran (not pinned,
  // beyond a ceiling, missing): no case was run.
  std::optional<Error> launch_error;
};

// Runs every case, in four launches of the plugin; stops early only when
// the plugin cannot be launched at all.
SuiteOutcome run_suite(const Target& target);

}  // namespace stockade::supervisor::conformance
