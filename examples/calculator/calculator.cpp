// calculator: the seeds' calculator, over stockade.
//
// Methods:
//   add, subtract, multiply, divide   payload: calculator.fbs Request (its op
//                                     field is ignored: the method names it);
//                                     answer: Response {result}
//   calculate                         payload: Request with op; answer: Response
//   calc                              payload: text "6 * 7"; answer: text "42"
// Division by zero and malformed payloads are INVALID_ARGUMENT; an unknown
// method is NOT_FOUND.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "arithmetic.h"
#include "calculator_client.h"
#include <stockade/sdk.h>

namespace {

namespace calc = stockade::examples::calculator;
using stockade::sdk::Code;
using stockade::sdk::Reply;

std::optional<calc::Op> op_of_method(const std::string& method) {
  if (method == "add") return calc::Op::Add;
  if (method == "subtract") return calc::Op::Subtract;
  if (method == "multiply") return calc::Op::Multiply;
  if (method == "divide") return calc::Op::Divide;
  return std::nullopt;
}

Reply binary_reply(const calc::Operands& operands) {
  auto result = calc::compute(operands);
  if (auto* error = std::get_if<stockade::sdk::PluginError>(&result)) return Reply::error(*error);
  return Reply::ok(calc::encode_response(std::get<double>(result)));
}

Reply text_reply(std::span<const std::uint8_t> payload) {
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto parsed = calc::parse_text(text);
  if (auto* error = std::get_if<stockade::sdk::PluginError>(&parsed)) return Reply::error(*error);
  auto result = calc::compute(std::get<calc::Operands>(parsed));
  if (auto* error = std::get_if<stockade::sdk::PluginError>(&result)) return Reply::error(*error);
  return Reply::ok(calc::format_number(std::get<double>(result)));
}

class Calculator final : public stockade::sdk::Plugin {
 public:
  stockade::sdk::Info info() override {
    return {.name = "calculator",
            .version = "1.0.0",
            .description = "Simple calculator plugin for arithmetic operations",
            .capabilities = {"arithmetic", "basic-operations"},
            .methods = {"add", "subtract", "multiply", "divide", "calculate", "calc"},
            .metadata = {{"operations", "add,subtract,multiply,divide"},
                         {"payload", "calculator.fbs Request/Response; calc: text"}}};
  }

  Reply execute(stockade::sdk::CallContext& call, std::span<const std::uint8_t> payload) override {
    if (call.method() == "calc") return text_reply(payload);
    const auto method_op = op_of_method(call.method());
    if (!method_op && call.method() != "calculate") {
      return Reply::error(Code::not_found, "no method \"" + call.method() +
                                               "\" (add, subtract, multiply, divide, calculate, calc)");
    }
    auto operands = calc::decode_request(payload);
    if (!operands) {
      return Reply::error(Code::invalid_argument,
                          "payload is not a calculator Request (calculator.fbs, identifier CALC)");
    }
    if (method_op) operands->op = *method_op;
    return binary_reply(*operands);
  }

  stockade::sdk::Health health() override {
    return {.serving = true, .message = "calculator is operational"};
  }
};

}  // namespace

int main() {
  Calculator calculator;
  return stockade::serve(calculator);
}
