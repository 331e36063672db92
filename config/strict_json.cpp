#include "config/strict_json.h"

#include <cmath>
#include <cstdio>
#include <set>

namespace stockade::supervisor {
namespace {

using nlohmann::json;

constexpr size_t kMaxExcerptBytes = 48;

// Thrown from inside nlohmann's parse callback, which has no other way to stop
// the parse; caught in parse_json_object and never escapes it.
struct StrictnessViolation {
  std::string what;
};

bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string format_number(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string type_name(const json& value) {
  return value.is_number() ? "number" : std::string(value.type_name());
}

// nlohmann's messages start with "[json.exception.parse_error.101] ", which
// means nothing to a user.
std::string strip_exception_prefix(std::string message) {
  if (!message.empty() && message.front() == '[') {
    auto end = message.find("] ");
    if (end != std::string::npos) message.erase(0, end + 2);
  }
  return message;
}

// A parse error quotes the token it stopped at ("last read: '...'") as the
// document spelled it: nlohmann escapes only C0 controls, so DEL, C1 controls
// (0x9b is CSI) and invalid UTF-8 would reach the terminal raw, and a long
// token makes a message as long as the file. Shortened, then every byte
// outside printable ASCII written as \xNN. (Found by fuzz_manifest_parser.)
std::string terminal_safe_parse_message(std::string message) {
  constexpr size_t kMaxParseMessageBytes = 160;
  bool shortened = message.size() > kMaxParseMessageBytes;
  if (shortened) message.resize(kMaxParseMessageBytes);
  std::string out;
  for (char c : message) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u <= 0x7e) {
      out += c;
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  if (shortened) out += "...";
  return out;
}

}  // namespace

std::string key_path(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (is_identifier(key)) {
    if (!out.empty()) out += '.';
    out += key;
  } else {
    out += '[';
    out += json_excerpt(json(std::string(key)));
    out += ']';
  }
  return out;
}

std::string json_excerpt(const json& value) {
  std::string text = value.dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
  if (text.size() > kMaxExcerptBytes) {
    text.resize(kMaxExcerptBytes);
    text += "...";
  }
  return text;
}

Result<json> parse_json_object(std::string_view text, std::string_view source, size_t max_bytes) {
  std::string where(source);
  if (text.size() > max_bytes) {
    return Error{Errc::limit, "larger than " + std::to_string(max_bytes) + " bytes", where};
  }
  // One set of keys per open object, to refuse duplicates at any depth.
  std::vector<std::set<std::string>> open_objects;
  auto strict = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) {
          throw StrictnessViolation{"nested deeper than " + std::to_string(kMaxJsonDepth) +
                                    " levels"};
        }
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        open_objects.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(key).second) {
          throw StrictnessViolation{"duplicate key " + json_excerpt(parsed)};
        }
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    json doc = json::parse(text.begin(), text.end(), strict, /*allow_exceptions=*/true,
                           /*ignore_comments=*/false);
    if (!doc.is_object()) {
      return Error{Errc::invalid_input,
                   "must be a JSON object (got " + type_name(doc) + ")", where};
    }
    return doc;
  } catch (const StrictnessViolation& violation) {
    return Error{Errc::invalid_input, "invalid JSON: " + violation.what, where};
  } catch (const json::exception& e) {
    return Error{Errc::invalid_input,
                 "invalid JSON: " + terminal_safe_parse_message(strip_exception_prefix(e.what())),
                 where};
  }
}

ObjectReader::ObjectReader(const json& object, std::string source, std::string path,
                           Problems& problems)
    : object_(object), source_(std::move(source)), path_(std::move(path)), problems_(problems) {}

std::string ObjectReader::where(std::string_view key) const {
  std::string at = key_path(path_, key);
  return at.empty() ? source_ : source_ + ": " + at;
}

void ObjectReader::problem(std::string_view key, std::string what) {
  problems_.push_back(Error{Errc::invalid_input, std::move(what), where(key)});
}

bool ObjectReader::has(std::string_view key) const { return object_.contains(key); }

const json* ObjectReader::find(std::string_view key) {
  known_.emplace_back(key);
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

void ObjectReader::require(std::string_view key) {
  if (!has(key)) problem(key, "missing required key");
}

void ObjectReader::integer(std::string_view key, uint32_t& out, uint32_t min, uint32_t max) {
  const json* value = find(key);
  if (value == nullptr) return;
  std::string expected =
      "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  // Floats are refused even when whole (1e3, 256.0): the manifest says what it means.
  bool in_range = false;
  if (value->is_number_unsigned()) {
    auto v = value->get<uint64_t>();
    in_range = v >= min && v <= max;
  } else if (value->is_number_integer()) {
    auto v = value->get<int64_t>();
    in_range = v >= 0 && static_cast<uint64_t>(v) >= min && static_cast<uint64_t>(v) <= max;
  }
  if (!in_range) {
    problem(key, expected + " (got " + json_excerpt(*value) + ")");
    return;
  }
  out = static_cast<uint32_t>(value->get<uint64_t>());
}

void ObjectReader::number(std::string_view key, double& out, double min, double max) {
  const json* value = find(key);
  if (value == nullptr) return;
  if (!value->is_number() || !std::isfinite(value->get<double>()) ||
      value->get<double>() < min || value->get<double>() > max) {
    problem(key, "must be a number from " + format_number(min) + " to " + format_number(max) +
                     " (got " + json_excerpt(*value) + ")");
    return;
  }
  out = value->get<double>();
}

void ObjectReader::boolean(std::string_view key, bool& out) {
  const json* value = find(key);
  if (value == nullptr) return;
  if (!value->is_boolean()) {
    problem(key, "must be true or false (got " + json_excerpt(*value) + ")");
    return;
  }
  out = value->get<bool>();
}

bool ObjectReader::string_value(const json& value, const std::string& at, StringBounds bounds,
                                std::string& out) {
  auto fail = [&](std::string what) {
    std::string where_at = at.empty() ? source_ : source_ + ": " + at;
    problems_.push_back(Error{Errc::invalid_input, std::move(what), std::move(where_at)});
    return false;
  };
  std::string expected = bounds.min_bytes > 0
                             ? "must be a string of " + std::to_string(bounds.min_bytes) + " to " +
                                   std::to_string(bounds.max_bytes) + " bytes"
                             : "must be a string of at most " + std::to_string(bounds.max_bytes) +
                                   " bytes";
  if (!value.is_string()) return fail(expected + " (got " + json_excerpt(value) + ")");
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() < bounds.min_bytes || text.size() > bounds.max_bytes) {
    return fail(expected + " (got " + std::to_string(text.size()) + " bytes: " +
                json_excerpt(value) + ")");
  }
  // A NUL would silently cut the string where it reaches C (argv, env, paths).
  if (text.find('\0') != std::string::npos) return fail("must not contain NUL characters");
  out = text;
  return true;
}

void ObjectReader::string(std::string_view key, std::string& out, StringBounds bounds) {
  const json* value = find(key);
  if (value == nullptr) return;
  string_value(*value, key_path(path_, key), bounds, out);
}

void ObjectReader::choice(std::string_view key, std::string& out,
                          const std::vector<std::string>& choices) {
  const json* value = find(key);
  if (value == nullptr) return;
  std::string list;
  for (const auto& c : choices) {
    if (!list.empty()) list += " or ";
    list += '"' + c + '"';
  }
  if (value->is_string()) {
    for (const auto& c : choices) {
      if (value->get_ref<const std::string&>() == c) {
        out = c;
        return;
      }
    }
  }
  problem(key, "must be " + list + " (got " + json_excerpt(*value) + ")");
}

void ObjectReader::string_list(std::string_view key, std::vector<std::string>& out,
                               size_t max_items, StringBounds bounds) {
  const json* value = find(key);
  if (value == nullptr) return;
  std::string expected = "must be an array of at most " + std::to_string(max_items) + " strings";
  if (!value->is_array()) {
    problem(key, expected + " (got " + json_excerpt(*value) + ")");
    return;
  }
  if (value->size() > max_items) {
    problem(key, expected + " (got " + std::to_string(value->size()) + ")");
    return;
  }
  std::vector<std::string> items;
  bool ok = true;
  std::string at = key_path(path_, key);
  for (size_t i = 0; i < value->size(); ++i) {
    std::string item;
    ok = string_value((*value)[i], at + "[" + std::to_string(i) + "]", bounds, item) && ok;
    items.push_back(std::move(item));
  }
  if (ok) out = std::move(items);
}

void ObjectReader::string_map(std::string_view key, std::map<std::string, std::string>& out,
                              size_t max_items, StringBounds key_bounds,
                              StringBounds value_bounds) {
  const json* value = find(key);
  if (value == nullptr) return;
  std::string expected = "must be an object of at most " + std::to_string(max_items) +
                         " string values";
  if (!value->is_object()) {
    problem(key, expected + " (got " + json_excerpt(*value) + ")");
    return;
  }
  if (value->size() > max_items) {
    problem(key, expected + " (got " + std::to_string(value->size()) + ")");
    return;
  }
  std::map<std::string, std::string> items;
  bool ok = true;
  std::string at = key_path(path_, key);
  for (const auto& [item_key, item_value] : value->items()) {
    std::string item_at = key_path(at, item_key);
    if (item_key.size() < key_bounds.min_bytes || item_key.size() > key_bounds.max_bytes) {
      problems_.push_back(Error{Errc::invalid_input,
                                "key must be " + std::to_string(key_bounds.min_bytes) + " to " +
                                    std::to_string(key_bounds.max_bytes) + " bytes",
                                source_ + ": " + item_at});
      ok = false;
      continue;
    }
    std::string text;
    ok = string_value(item_value, item_at, value_bounds, text) && ok;
    items.emplace(item_key, std::move(text));
  }
  if (ok) out = std::move(items);
}

void ObjectReader::object(std::string_view key, const std::function<void(ObjectReader&)>& read) {
  const json* value = find(key);
  if (value == nullptr) return;
  if (!value->is_object()) {
    problem(key, "must be an object (got " + json_excerpt(*value) + ")");
    return;
  }
  ObjectReader nested(*value, source_, key_path(path_, key), problems_);
  read(nested);
  nested.finish();
}

void ObjectReader::object_list(std::string_view key, size_t max_items,
                               const std::function<void(ObjectReader&, size_t)>& read) {
  const json* value = find(key);
  if (value == nullptr) return;
  std::string expected = "must be an array of at most " + std::to_string(max_items) + " objects";
  if (!value->is_array()) {
    problem(key, expected + " (got " + json_excerpt(*value) + ")");
    return;
  }
  if (value->size() > max_items) {
    problem(key, expected + " (got " + std::to_string(value->size()) + ")");
    return;
  }
  const std::string at = key_path(path_, key);
  for (size_t i = 0; i < value->size(); ++i) {
    const std::string item_at = at + "[" + std::to_string(i) + "]";
    const json& item = (*value)[i];
    if (!item.is_object()) {
      problems_.push_back(Error{Errc::invalid_input,
                                "must be an object (got " + json_excerpt(item) + ")",
                                source_ + ": " + item_at});
      continue;
    }
    ObjectReader nested(item, source_, item_at, problems_);
    read(nested, i);
    nested.finish();
  }
}

void ObjectReader::finish() {
  for (const auto& [key, value] : object_.items()) {
    bool known = false;
    for (const auto& k : known_) known = known || k == key;
    if (known) continue;
    std::string list;
    for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
    problem(key, "unknown key (known here: " + list + ")");
  }
}

}  // namespace stockade::supervisor
