#include "cli/options.h"

#include <charconv>

namespace stockade::supervisor {

OptionParser::OptionParser(std::string usage, std::string summary)
    : usage_(std::move(usage)), summary_(std::move(summary)) {}

void OptionParser::flag(std::string name, std::string help, bool& out) {
  options_.push_back({Kind::flag, std::move(name), {}, std::move(help), &out});
}

void OptionParser::text(std::string name, std::string metavar, std::string help,
                        std::optional<std::string>& out) {
  options_.push_back({Kind::text, std::move(name), std::move(metavar), std::move(help), &out});
}

void OptionParser::texts(std::string name, std::string metavar, std::string help,
                         std::vector<std::string>& out) {
  options_.push_back({Kind::texts, std::move(name), std::move(metavar), std::move(help), &out});
}

void OptionParser::integer(std::string name, std::string metavar, std::string help,
                           std::optional<uint32_t>& out, uint32_t min, uint32_t max) {
  options_.push_back(
      {Kind::integer, std::move(name), std::move(metavar), std::move(help), &out, min, max});
}

void OptionParser::alias(char letter, const std::string& name) {
  for (auto& o : options_) {
    if (o.name == name) o.letter = letter;
  }
}

void OptionParser::epilog(std::string text) { epilog_ = std::move(text); }

const OptionParser::Option* OptionParser::find(std::string_view name) const {
  for (const auto& o : options_) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

const OptionParser::Option* OptionParser::find_letter(char letter) const {
  for (const auto& o : options_) {
    if (o.letter == letter) return &o;
  }
  return letter == 'h' ? find("--help") : nullptr;
}

std::optional<uint32_t> parse_decimal(std::string_view text, uint32_t min, uint32_t max) {
  uint32_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

Status OptionParser::store(const Option& o, const std::string& value) const {
  switch (o.kind) {
    case Kind::flag:
      *static_cast<bool*>(o.out) = true;
      return {};
    case Kind::text: {
      auto& out = *static_cast<std::optional<std::string>*>(o.out);
      // A second value would silently win; say so instead.
      if (out) return Error{Errc::invalid_input, "given more than once", o.name};
      out = value;
      return {};
    }
    case Kind::texts:
      static_cast<std::vector<std::string>*>(o.out)->push_back(value);
      return {};
    case Kind::integer: {
      auto& out = *static_cast<std::optional<uint32_t>*>(o.out);
      if (out) return Error{Errc::invalid_input, "given more than once", o.name};
      out = parse_decimal(value, o.min, o.max);
      if (!out) {
        return Error{Errc::invalid_input,
                     "must be an integer from " + std::to_string(o.min) + " to " +
                         std::to_string(o.max) + " (got \"" + value + "\")",
                     o.name};
      }
      return {};
    }
  }
  return {};
}

Result<std::vector<std::string>> OptionParser::parse(std::span<const std::string> args) const {
  std::vector<std::string> operands;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      // "-q": a flag's one-letter spelling (options with values have none).
      if (arg.size() == 2 && arg[0] == '-') {
        if (const Option* o = find_letter(arg[1]); o != nullptr && o->kind == Kind::flag) {
          if (auto stored = store(*o, {}); !stored) return stored.error();
          continue;
        }
      }
      if (arg.size() > 1 && arg.front() == '-') {
        return Error{Errc::invalid_input, "unknown option (see --help)", arg};
      }
      break;  // the first operand ends the options
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const Option* o = find(name);
    if (o == nullptr) return Error{Errc::invalid_input, "unknown option (see --help)", name};
    std::string value;
    if (o->kind == Kind::flag) {
      if (inline_value) return Error{Errc::invalid_input, "takes no value", name};
    } else if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error{Errc::invalid_input, "needs a value (" + o->metavar + ")", name};
    }
    if (auto stored = store(*o, value); !stored) return stored.error();
  }
  operands.insert(operands.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return operands;
}

std::string OptionParser::help() const {
  std::string out = "usage: " + usage_ + "\n\n" + summary_ + "\n\noptions:\n";
  for (const auto& o : options_) {
    std::string left = std::string("  ") + (o.letter != 0 ? std::string{'-', o.letter} + ", " : "") +
                       o.name + (o.metavar.empty() ? "" : " " + o.metavar);
    if (left.size() < 26) {
      left.resize(26, ' ');
    } else {
      left += "\n" + std::string(26, ' ');
    }
    out += left + o.help + "\n";
  }
  if (!epilog_.empty()) out += "\n" + epilog_;
  if (out.back() != '\n') out += '\n';
  return out;
}

}  // namespace stockade::supervisor
