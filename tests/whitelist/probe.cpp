// A minimal program for the verification tests: prints PROBE_WORD and exits 0.
#include <unistd.h>

#include <cstring>

int main() {
  const char word[] = PROBE_WORD "\n";
  return write(STDOUT_FILENO, word, std::strlen(word)) < 0 ? 1 : 0;
}
