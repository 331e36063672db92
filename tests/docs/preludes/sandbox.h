// Prelude of the `<!-- sample: fragment sandbox -->` blocks of the
// documentation (docs/security-model.md): code inside stockade that starts a
// sandbox. The names are only declared: a fragment is compiled (with the
// project's warnings), not linked.
#pragma once

#include <chrono>
#include <string>

#include "sandbox/sandbox.h"
#include "whitelist/whitelist.h"

void log(const std::string& message);

extern const stockade::VerifiedBinary& verified;  // the binary, checked against the whitelist
extern stockade::sandbox::Policy policy;         // the effective policy of its manifest
extern int sock, out, err;                        // the plugin's socket and output pipes
