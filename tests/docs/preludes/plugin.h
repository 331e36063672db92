// Prelude of the `<!-- sample: fragment plugin -->` blocks of the
// documentation: the body of a Plugin::execute() override. The names are only
// declared: a fragment is compiled (with the project's warnings), not linked.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <stockade/sdk.h>

extern stockade::sdk::CallContext& call;          // execute()'s first parameter
extern std::span<const std::uint8_t> payload;     // and its second
