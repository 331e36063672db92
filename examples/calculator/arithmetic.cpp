#include "arithmetic.h"

#include <charconv>
#include <cstddef>

namespace stockade::examples::calculator {

namespace {

sdk::PluginError invalid(std::string message) {
  return {sdk::Code::invalid_argument, std::move(message), false};
}

std::string_view skip_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return text;
}

// Reads one number from the front of `text`; advances past it.
bool read_number(std::string_view& text, double& out) {
  text = skip_spaces(text);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

}  // namespace

std::variant<double, sdk::PluginError> compute(const Operands& operands) {
  switch (operands.op) {
    case Op::Add: return operands.a + operands.b;
    case Op::Subtract: return operands.a - operands.b;
    case Op::Multiply: return operands.a * operands.b;
    case Op::Divide:
      if (operands.b == 0) return invalid("division by zero");
      return operands.a / operands.b;
  }
  return invalid("unknown operation");
}

std::variant<Operands, sdk::PluginError> parse_text(std::string_view text) {
  // A trailing newline is what `echo '6 * 7' | ...` adds; accept it.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  const auto usage = invalid("expected \"<number> <op> <number>\" with op one of + - * /");
  Operands operands;
  if (!read_number(text, operands.a)) return usage;
  text = skip_spaces(text);
  if (text.empty()) return usage;
  switch (text.front()) {
    case '+': operands.op = Op::Add; break;
    case '-': operands.op = Op::Subtract; break;
    case '*': case 'x': operands.op = Op::Multiply; break;
    case '/': operands.op = Op::Divide; break;
    default: return usage;
  }
  text.remove_prefix(1);
  if (!read_number(text, operands.b)) return usage;
  if (!skip_spaces(text).empty()) return usage;
  return operands;
}

std::string format_number(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("?");
}

}  // namespace stockade::examples::calculator
