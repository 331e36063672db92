// Strict reading of JSON documents written by people we do not fully trust
// (plugin manifests, operator configs): bounded size and depth, duplicate keys
// refused, every key known, every value of the right type and range. Each
// problem becomes an Error whose `where` is "FILE: key.path[2]".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stockade/result.h"

namespace stockade::supervisor {

// Problems found while reading one document, in document order.
using Problems = std::vector<Error>;

inline constexpr int kMaxJsonDepth = 16;

// Parses `text` as one JSON object. Refuses more than `max_bytes`, nesting
// deeper than kMaxJsonDepth and duplicate keys (nlohmann would silently keep
// the last one, so a reviewer could read a different value than we use).
Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view source,
                                         size_t max_bytes);

// "must be ... (got X)": the offending value, JSON-quoted, ASCII-only and
// shortened, so hostile bytes never reach a terminal raw.
std::string json_excerpt(const nlohmann::json& value);

// Length bounds for a string field, checked before it is copied.
struct StringBounds {
  size_t min_bytes = 0;
  size_t max_bytes = 256;
};

// Reads the fields of one JSON object into plain structs. Each accessor marks
// its key as known and, when the key is present, checks and stores the value
// or records a problem (leaving the default in place). finish() reports the
// keys nobody asked for.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string source, std::string path,
               Problems& problems);

  bool has(std::string_view key) const;
  // Records "missing required key" when `key` is absent.
  void require(std::string_view key);

  void integer(std::string_view key, uint32_t& out, uint32_t min, uint32_t max);
  void number(std::string_view key, double& out, double min, double max);
  void boolean(std::string_view key, bool& out);
  void string(std::string_view key, std::string& out, StringBounds bounds);
  // One of `choices`, spelled exactly.
  void choice(std::string_view key, std::string& out, const std::vector<std::string>& choices);
  void string_list(std::string_view key, std::vector<std::string>& out, size_t max_items,
                   StringBounds bounds);
  // An object whose values are all strings ("env", "metadata").
  void string_map(std::string_view key, std::map<std::string, std::string>& out,
                  size_t max_items, StringBounds key_bounds, StringBounds value_bounds);
  // A nested object: `read` is called with a reader for it when it is present
  // and is an object.
  void object(std::string_view key, const std::function<void(ObjectReader&)>& read);
  // An array of at most `max_items` objects ("clients"): `read` is called with
  // a reader for each item that is an object (path "key[i]") and its index.
  void object_list(std::string_view key, size_t max_items,
                   const std::function<void(ObjectReader&, size_t)>& read);

  // Reports every key of the object that no accessor asked for.
  void finish();

  // "source: path.key" for errors about `key` of this object.
  std::string where(std::string_view key) const;
  const std::string& path() const { return path_; }

 private:
  const nlohmann::json* find(std::string_view key);
  void problem(std::string_view key, std::string what);
  bool string_value(const nlohmann::json& value, const std::string& at, StringBounds bounds,
                    std::string& out);

  const nlohmann::json& object_;
  std::string source_;
  std::string path_;
  Problems& problems_;
  std::vector<std::string> known_;
};

// A dotted key path: "resources" + "max_memory_mb" -> "resources.max_memory_mb".
// Keys that are not plain identifiers are quoted: env["A B"].
std::string key_path(std::string_view parent, std::string_view key);

}  // namespace stockade::supervisor
