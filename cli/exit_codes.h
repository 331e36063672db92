// The exit codes of every stockade command (jail, call, check, and the
// clients of stockade serve: status, reload, restart, metrics) and of
// plugin-hash: one table, so the same failure ends every command with the
// same code. `stockade help exit-codes` prints it; stockade --help, each
// command's --help (its own rows), stockade(1)'s EXIT STATUS and
// docs/operators.md ("Exit codes") show the same rows, and
// tests/docs/man_matches_help.sh checks that they do.
//
// 124 to 127 follow timeout(1), env(1) and the shell: a jailed program's own
// code passes through, so stockade's own ends must sit where programs
// rarely exit.
#pragma once

#include <string>

namespace stockade::supervisor {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;           // call: an error answer; check: problems; plugin-hash: unpinned
inline constexpr int kExitUnanswered = 3;   // call: the plugin could not answer
inline constexpr int kExitDeadline = 124;   // jail: the wall-clock limit; call: DEADLINE_EXCEEDED
inline constexpr int kExitOwnFailure = 125; // usage; a file given missing, unreadable or malformed; setup
inline constexpr int kExitRefused = 126;    // not whitelisted, not executable, beyond a ceiling, untrusted file
inline constexpr int kExitNotFound = 127;   // the thing to run: jail's BINARY, call's PLUGIN or its binary
inline constexpr int kExitSignalBase = 128; // + N: signal N ended the program or plugin

// Which programs a row applies to.
enum ExitCodeUser : unsigned {
  kForJail = 1u << 0,
  kForCall = 1u << 1,
  kForCheck = 1u << 2,
  kForPluginHash = 1u << 3,
  kForDaemonClient = 1u << 4,  // status, reload, restart, metrics (call --socket is kForCall)
  kForAll = kForJail | kForCall | kForCheck | kForPluginHash | kForDaemonClient,
};

struct ExitCodeRow {
  const char* code;
  // Plain text, copied into roff and Markdown as is; no option names, since
  // plugin-hash --help shows rows too and its man page has no such options.
  const char* meaning;
  unsigned users;
};

// The order is the order of the man page and docs/operators.md.
inline constexpr ExitCodeRow kExitCodeTable[] = {
    {"0",
     "success (call: the answer, or SERVING; check: no problem; plugin-hash: every file hashed, "
     "or pinned; status, reload, restart, metrics: done)",
     kForCall | kForCheck | kForPluginHash | kForDaemonClient},
    {"1",
     "the answer is no: call: the plugin answered with an error, or NOT_SERVING; check: problems "
     "found; plugin-hash: a file is not pinned under its name; reload: the new config was "
     "refused; status, restart, metrics: the daemon answered with an error",
     kForCall | kForCheck | kForPluginHash | kForDaemonClient},
    {"3",
     "call: the plugin could not answer (it exited, failed its handshake, or is unavailable); "
     "the clients of stockade serve: the daemon is not running, or closed the connection",
     kForCall | kForDaemonClient},
    {"124",
     "the time limit: jail's wall-clock limit killed the sandbox; call's deadline passed "
     "(DEADLINE_EXCEEDED)",
     kForJail | kForCall},
    {"125",
     "stockade's own failure: bad usage; a file it was given (config, manifest, whitelist, "
     "data file, FILE) missing, unreadable or malformed; sandbox setup",
     kForAll},
    {"126",
     "refused: not whitelisted, not executable, a request beyond a ceiling or beyond the "
     "plugin's frame limit, a handshake refused, a file of the trust root that others can write, "
     "a client that the daemon's socket permissions or access list refuse",
     kForJail | kForCall | kForPluginHash | kForDaemonClient},
    {"127", "not found: jail's BINARY, call's or restart's PLUGIN, or the plugin's binary",
     kForJail | kForCall | kForDaemonClient},
    {"128+N",
     "signal N ended the program (jail) or the plugin during the call (call); a seccomp violation "
     "is 159 (SIGSYS); SIGINT, SIGTERM or SIGHUP to jail: 130, 143, 129",
     kForJail | kForCall},
    {"other", "jail: the program's own exit code", kForJail},
};

// The rows for `users`: "  CODE   MEANING", the meaning wrapped at 79
// columns with its continuation lines indented 9 spaces.
inline std::string exit_code_table(unsigned users = kForAll) {
  constexpr size_t kIndent = 9, kWidth = 79;
  std::string out;
  for (const auto& row : kExitCodeTable) {
    if ((row.users & users) == 0) continue;
    std::string line = "  " + std::string(row.code);
    line.resize(line.size() < kIndent ? kIndent : line.size() + 1, ' ');
    const std::string meaning = row.meaning;
    size_t at = 0;
    bool first = true;
    while (at < meaning.size()) {
      size_t end = meaning.find(' ', at);
      if (end == std::string::npos) end = meaning.size();
      const std::string word = meaning.substr(at, end - at);
      if (!first && line.size() + 1 + word.size() > kWidth) {
        out += line + "\n";
        line = std::string(kIndent, ' ') + word;
      } else {
        line += (first ? "" : " ") + word;
      }
      first = false;
      at = end + 1;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace stockade::supervisor
