// A small option parser shared by the stockade subcommands. GNU-style long
// options ("--name VALUE", "--name=VALUE", "--flag"), "--" ends the options,
// and the first operand ends them too (so "jail -- cmd --x" and "jail cmd --x"
// both leave "--x" to the command). Hand-written rather than CLI11: five
// option kinds do not justify a header-only library in every compile.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/result.h"

namespace stockade::supervisor {

class OptionParser {
 public:
  // `usage` is the synopsis line: "stockade jail [options] -- BINARY [ARGS...]".
  OptionParser(std::string usage, std::string summary);

  void flag(std::string name, std::string help, bool& out);
  void text(std::string name, std::string metavar, std::string help,
            std::optional<std::string>& out);
  // Repeatable; each use appends.
  void texts(std::string name, std::string metavar, std::string help,
             std::vector<std::string>& out);
  // A decimal integer from min to max.
  void integer(std::string name, std::string metavar, std::string help,
               std::optional<uint32_t>& out, uint32_t min, uint32_t max);
  // A one-letter spelling of an option added before: alias('q', "--quiet").
  // "-h" means "--help" without one.
  void alias(char letter, const std::string& name);
  // A free-text paragraph printed at the end of help() (exit codes, examples).
  void epilog(std::string text);

  // Parses `args` (without the program and subcommand names). Returns the
  // operands. Errors are Errc::invalid_input naming the option.
  Result<std::vector<std::string>> parse(std::span<const std::string> args) const;

  std::string help() const;

 private:
  enum class Kind { flag, text, texts, integer };
  struct Option {
    Kind kind;
    std::string name;
    std::string metavar;
    std::string help;
    void* out;
    uint32_t min = 0;
    uint32_t max = 0;
    char letter = 0;  // the one-letter spelling ("-q"), if any
  };
  const Option* find(std::string_view name) const;
  const Option* find_letter(char letter) const;
  Status store(const Option& option, const std::string& value) const;

  std::string usage_;
  std::string summary_;
  std::string epilog_;
  std::vector<Option> options_;
};

// Parses a decimal integer in [min, max]; no sign, no spaces, no suffix.
std::optional<uint32_t> parse_decimal(std::string_view text, uint32_t min, uint32_t max);

}  // namespace stockade::supervisor
