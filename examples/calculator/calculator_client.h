// Building and reading the calculator's FlatBuffers payloads, for the plugin
// itself and for hosts and tests that call it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "calculator_generated.h"  // generated at build time from calculator.fbs

namespace stockade::examples::calculator {

struct Operands {
  Op op = Op::Add;
  double a = 0;
  double b = 0;
};

// A Request payload (file identifier "CALC").
std::vector<std::uint8_t> encode_request(Op op, double a, double b);
// The Request in `payload` after verification; nullopt if it is not one.
std::optional<Operands> decode_request(std::span<const std::uint8_t> payload);

// A Response payload.
std::vector<std::uint8_t> encode_response(double result);
// The result in `payload` after verification; nullopt if it is not a Response.
std::optional<double> decode_response(std::span<const std::uint8_t> payload);

}  // namespace stockade::examples::calculator
