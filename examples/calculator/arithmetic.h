// The calculator's arithmetic and its text form ("6 * 7"), apart from the
// plugin plumbing so that both are easy to read and test.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "calculator_client.h"
#include <stockade/sdk.h>

namespace stockade::examples::calculator {

// The result, or INVALID_ARGUMENT "division by zero".
std::variant<double, sdk::PluginError> compute(const Operands& operands);

// "<number> <op> <number>" with op one of + - * / (spaces optional between
// tokens); nullopt-like error for anything else.
std::variant<Operands, sdk::PluginError> parse_text(std::string_view text);

// The shortest text that reads back as `value` ("42", "0.1", "-inf").
std::string format_number(double value);

}  // namespace stockade::examples::calculator
