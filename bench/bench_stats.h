// The two measurements every benchmark here makes: elapsed time and the
// median of repeated runs (the machines are shared; a median resists a
// burst of someone else's work).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace stockade::bench {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The middle value (the upper one of an even count); 0 for none.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace stockade::bench
