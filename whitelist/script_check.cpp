#include "whitelist/script_check.h"

#include <unistd.h>

#include "base/error.h"
#include "base/syscall.h"

namespace stockade::whitelist_internal {
namespace {

constexpr size_t kShownLine = 120;

// "/usr/bin/python3" for "#!/usr/bin/python3 -u" and "#!/usr/bin/env python3":
// a suggestion for the message only, never run.
std::string interpreter_from(const std::string& line) {
  std::string rest = line.substr(2);
  auto word = [&rest]() {
    const size_t start = rest.find_first_not_of(" \t");
    if (start == std::string::npos) return std::string();
    const size_t end = rest.find_first_of(" \t", start);
    std::string w = rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
    rest = end == std::string::npos ? std::string() : rest.substr(end);
    return w;
  };
  std::string program = word();
  if (program.size() >= 4 && program.compare(program.size() - 4, 4, "/env") == 0) {
    const std::string target = word();
    if (!target.empty() && target.find('/') == std::string::npos) return "/usr/bin/" + target;
  }
  return program.empty() || program.front() != '/' ? "/usr/bin/python3" : program;
}

}  // namespace

Status refuse_script(int fd, const std::string& path) {
  char head[kShownLine + 1] = {};
  const ssize_t n = retry_on_eintr([&] { return ::pread(fd, head, kShownLine, 0); });
  if (n < 0) return sys_error("cannot read", path);
  if (n < 2 || head[0] != '#' || head[1] != '!') return {};
  std::string line(head, static_cast<size_t>(n));
  line = line.substr(0, line.find('\n'));
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  const size_t slash = path.find_last_of('/');
  const std::string script = slash == std::string::npos ? path : path.substr(slash + 1);
  return Error{Errc::refused,
               "is a script (" + line + "), not a binary; stockade runs a script only as an "
               "interpreted plugin, whose interpreter is pinned and run from its verified file: "
               "in plugin.json write \"interpreter\": \"" + interpreter_from(line) +
               "\", \"endpoint\": \"" + script + "\", \"files\": [the modules it loads], then pin "
               "them with plugin-hash --plugin FOLDER >> WHITELIST (docs/plugin-authors.md, "
               "\"Interpreted plugins\")",
               path, 0};
}

}  // namespace stockade::whitelist_internal
