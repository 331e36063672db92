// Writing the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): one
// "# HELP" and one "# TYPE" line a metric family, then its samples,
//   name{label="value",...} value
// Label values are the only text here that others choose (plugin names from
// manifests, method names from clients), so they are made safe once, when a
// label set is first seen, by label_value(); the writers below copy them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stockade::daemon {

// The Content-Type of the exposition.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// `raw` as the inside of a quoted label value: backslash, double quote and
// newline escaped (\\, \", \n), as the format prescribes; bytes that are not
// valid UTF-8 become U+FFFD, since one invalid byte makes a scraper reject
// the whole page.
std::string label_value(std::string_view raw);

// The writer of one exposition. Metric and label names are ours (literals);
// label values must come from label_value().
class PrometheusText {
 public:
  // "# HELP name help\n# TYPE name type\n". `help` is ours: no escaping needed
  // beyond what the format asks of HELP (backslash and newline), done here.
  void family(std::string_view name, std::string_view type, std::string_view help);

  // Starts a sample: "name{" (or "name" when no label follows).
  PrometheusText& sample(std::string_view name);
  // Adds label="value" (value already escaped by label_value()).
  PrometheusText& label(std::string_view name, std::string_view escaped_value);
  // Ends the sample with its value and a newline.
  void value(uint64_t v);
  void value(int64_t v);
  void value(double v);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void close_labels();

  std::string out_;
  bool labels_open_ = false;
};

}  // namespace stockade::daemon
