// Invariants shared by the config/ fuzz targets (manifest_parser.cpp,
// config_parser.cpp): what every parse or validation verdict must satisfy,
// beyond not crashing.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "config/strict_json.h"
#include "stockade/result.h"

namespace stockade::fuzz {

// Aborts (a libFuzzer crash, with the input saved) naming the broken invariant.
inline void require(bool holds, const char* invariant) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
  std::abort();
}

// Printable ASCII only: the parsers promise that hostile bytes reach a
// terminal quoted and escaped, never raw (strict_json.h, json_excerpt).
inline bool is_terminal_safe(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return true;
}

// One step's verdict against the problems it appended after `first`: an
// error iff it appended any, the error returned is the first appended, and
// every problem names `source` and is safe to print.
inline void check_verdict(bool ok, const Error* returned, const supervisor::Problems& problems,
                          size_t first, std::string_view source) {
  require(problems.size() >= first, "problems were removed");
  require(ok == (problems.size() == first), "an error iff problems were appended");
  if (!ok) {
    require(returned != nullptr, "a failed step returns its error");
    require(returned->what == problems[first].what && returned->where == problems[first].where,
            "the error returned is the first problem appended");
  }
  for (size_t i = first; i < problems.size(); ++i) {
    const Error& e = problems[i];
    require(!e.what.empty(), "every problem says what is wrong");
    require(e.where.starts_with(source), "every problem names the document");
    require(is_terminal_safe(e.what) && is_terminal_safe(e.where),
            "problems carry printable ASCII only");
  }
}

}  // namespace stockade::fuzz
