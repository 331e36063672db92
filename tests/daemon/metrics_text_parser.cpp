#include "tests/daemon/metrics_text_parser.h"

#include <cstdlib>
#include <set>
#include <sstream>

namespace stockade::testing {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

bool metric_name(const std::string& s) {
  if (s.empty() || !name_start(s[0])) return false;
  for (char c : s) {
    if (!name_char(c)) return false;
  }
  return true;
}

bool label_name(const std::string& s) {
  if (s.empty() || !name_start(s[0]) || s[0] == ':') return false;
  for (char c : s) {
    if (!name_char(c) || c == ':') return false;
  }
  return true;
}

bool parse_value(const std::string& s, double& out) {
  if (s == "+Inf") { out = 1e308 * 10; return true; }
  if (s == "-Inf") { out = -1e308 * 10; return true; }
  if (s == "NaN") { out = 0; return true; }
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// The family of a sample: histogram samples carry a suffix.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string sfx(suffix);
    if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
      const std::string base = name.substr(0, name.size() - sfx.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return name;
}

}  // namespace

MetricPage parse_metric_page(const std::string& text) {
  MetricPage page;
  if (!text.empty() && text.back() != '\n') page.errors.push_back("the page does not end with a newline");
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  std::set<std::string> seen;
  auto fail = [&](const std::string& why) {
    page.errors.push_back("line " + std::to_string(number) + ": " + why + ": " + line);
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) { fail("empty line"); continue; }
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name;
      words >> hash >> kind >> name;
      if (hash != "#" || (kind != "HELP" && kind != "TYPE") || !metric_name(name)) {
        fail("a comment that is not HELP or TYPE");
        continue;
      }
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (kind == "TYPE") {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kTypes.count(rest)) fail("unknown type");
        if (page.types.count(name)) fail("a second TYPE for " + name);
        if (seen.count(name)) fail("TYPE after the family's samples");
        page.types[name] = rest;
      } else {
        if (page.help.count(name)) fail("a second HELP for " + name);
        page.help[name] = rest;
      }
      continue;
    }
    MetricSample sample;
    size_t i = 0;
    while (i < line.size() && name_char(line[i])) ++i;
    sample.name = line.substr(0, i);
    if (!metric_name(sample.name)) { fail("bad metric name"); continue; }
    bool ok = true;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (ok && i < line.size() && line[i] != '}') {
        size_t start = i;
        while (i < line.size() && name_char(line[i])) ++i;
        std::string label = line.substr(start, i - start);
        if (!label_name(label) || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          fail("bad label");
          ok = false;
          break;
        }
        i += 2;
        std::string value;
        for (;;) {
          if (i >= line.size()) { fail("unterminated label value"); ok = false; break; }
          char c = line[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i >= line.size()) { fail("dangling backslash"); ok = false; break; }
            char e = line[i++];
            if (e == '\\') value += '\\';
            else if (e == '"') value += '"';
            else if (e == 'n') value += '\n';
            else { fail("escape other than \\\\, \\\" or \\n"); ok = false; break; }
          } else {
            value += c;
          }
        }
        if (!ok) break;
        if (sample.labels.count(label)) { fail("label given twice"); ok = false; break; }
        sample.labels[label] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (!ok) continue;
      if (i >= line.size() || line[i] != '}') { fail("labels not closed"); continue; }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') { fail("no space before the value"); continue; }
    ++i;
    const std::string value = line.substr(i);
    if (!parse_value(value, sample.value)) { fail("bad value (or a timestamp: we write none)"); continue; }
    const std::string family = family_of(sample.name, page.types);
    if (!page.types.count(family)) fail("sample before its family's TYPE");
    seen.insert(family);
    page.samples.push_back(std::move(sample));
  }
  return page;
}

std::vector<MetricSample> MetricPage::find(const std::string& name,
                                           const std::map<std::string, std::string>& labels) const {
  std::vector<MetricSample> out;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) match = false;
    }
    if (match) out.push_back(s);
  }
  return out;
}

double MetricPage::value(const std::string& name, const std::map<std::string, std::string>& labels) const {
  auto found = find(name, labels);
  if (found.empty()) return -1;
  if (found.size() > 1) return -2;
  return found[0].value;
}

}  // namespace stockade::testing
