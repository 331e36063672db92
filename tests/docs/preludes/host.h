// Prelude of the `<!-- sample: fragment host -->` blocks of the documentation:
// what the code of a host around such a sample has at hand. The names are only
// declared: a fragment is compiled (with the project's warnings), not linked.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <stockade/supervisor.h>

[[noreturn]] void die(const std::string& message);  // print and exit
void log(const std::string& message);               // the host's own log

extern stockade::supervisor::SupervisorOptions options;  // being filled in
extern stockade::supervisor::Bytes bytes;                // a payload to send
