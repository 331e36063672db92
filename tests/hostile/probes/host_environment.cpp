// The supervisor's environment (tokens, credentials, paths) must not reach a
// plugin: the environment is exactly the policy's. argv: the expected
// environment, one KEY=VALUE each.
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "probe.h"

extern char** environ;

int main(int argc, char** argv) {
  std::set<std::string> expected(argv + 1, argv + argc);
  std::set<std::string> actual;
  for (char** e = environ; *e != nullptr; ++e) actual.insert(*e);
  for (const std::string& entry : actual)
    if (expected.count(entry) == 0) probe::finish(probe::kEscaped, "unexpected variable %s", entry.c_str());
  if (actual.size() != expected.size())
    probe::finish(probe::kProbeError, "environment has %zu of %zu expected variables", actual.size(), expected.size());
  // pid 1's environment: in a leaky jail, the host's init or supervisor.
  std::ifstream init("/proc/1/environ");
  std::string blob((std::istreambuf_iterator<char>(init)), std::istreambuf_iterator<char>());
  size_t start = 0;
  while (start < blob.size()) {
    size_t end = blob.find('\0', start);
    if (end == std::string::npos) end = blob.size();
    std::string entry = blob.substr(start, end - start);
    if (expected.count(entry) == 0) probe::finish(probe::kEscaped, "pid 1 has variable %s", entry.c_str());
    start = end + 1;
  }
  probe::finish(probe::kBlocked, "environment is exactly the policy's %zu variables", actual.size());
}
