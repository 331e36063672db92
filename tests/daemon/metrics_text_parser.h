// A strict reader of the Prometheus text format 0.0.4, for the metrics tests:
// every line must be a HELP, a TYPE or a sample line of the grammar, label
// values may use only the three escapes, and each sample belongs to a family
// whose TYPE came first. What the page means is checked by the tests.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace stockade::testing {

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct MetricPage {
  std::map<std::string, std::string> types;  // family name -> counter, gauge, histogram, ...
  std::map<std::string, std::string> help;
  std::vector<MetricSample> samples;
  std::vector<std::string> errors;  // "line N: why"; empty: the page is well formed

  // Samples named `name` whose labels include every pair of `labels`.
  std::vector<MetricSample> find(const std::string& name,
                                 const std::map<std::string, std::string>& labels = {}) const;
  // The one such sample's value; -1 when there is none, -2 when several.
  double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
};

MetricPage parse_metric_page(const std::string& text);

}  // namespace stockade::testing
