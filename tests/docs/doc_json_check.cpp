// doc_json_check: a JSON sample of the documentation must be a plugin.json or
// a stockade.json that stockade accepts. Runs the parsers and validators the
// supervisor and `stockade check` use (parse_manifest + validate_manifest,
// parse_config + validate_config) and prints every problem, named by the
// document and line of the block.
//
//   doc_json_check manifest|config|json FILE WHERE
//
// "json" (a block without a marker) tells the two apart by content: a
// stockade.json has plugins_dir, whitelist or ceilings at its top level, a
// plugin.json none of them. Exit 0 when accepted, 1 when not, 2 on misuse.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/manifest.h"
#include "config/strict_json.h"

namespace {

using stockade::supervisor::Problems;

bool looks_like_config(std::string_view text, std::string_view where) {
  auto object = stockade::supervisor::parse_json_object(text, where, stockade::supervisor::kMaxConfigBytes);
  if (!object) return false;  // parse_manifest will report it
  return object->contains("plugins_dir") || object->contains("whitelist") || object->contains("ceilings");
}

Problems check(std::string_view kind, std::string_view text, std::string_view where) {
  Problems problems;
  if (kind == "config") {
    auto config = stockade::supervisor::parse_config(text, where, &problems);
    if (config) (void)stockade::supervisor::validate_config(*config, &problems);
  } else {
    auto manifest = stockade::supervisor::parse_manifest(text, where, &problems);
    if (manifest) (void)stockade::supervisor::validate_manifest(*manifest, &problems);
  }
  return problems;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: doc_json_check manifest|config|json FILE WHERE\n");
    return 2;
  }
  std::string kind = argv[1];
  const std::string path = argv[2];
  const std::string where = argv[3];
  if (kind != "manifest" && kind != "config" && kind != "json") {
    std::fprintf(stderr, "doc_json_check: unknown kind %s (manifest, config or json)\n", kind.c_str());
    return 2;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    std::fprintf(stderr, "doc_json_check: cannot read %s\n", path.c_str());
    return 2;
  }
  if (kind == "json") kind = looks_like_config(text.str(), where) ? "config" : "manifest";

  Problems problems = check(kind, text.str(), where);
  if (problems.empty()) {
    std::printf("%s: a %s stockade accepts\n", where.c_str(),
                kind == "config" ? "stockade.json" : "plugin.json");
    return 0;
  }
  for (const auto& problem : problems) std::printf("%s\n", problem.message().c_str());
  std::printf("%s: not a %s stockade accepts (as read by parse_%s and validate_%s); fix the sample, "
              "or mark a fragment <!-- sample: skip (why) -->\n",
              where.c_str(), kind == "config" ? "stockade.json" : "plugin.json", kind.c_str(), kind.c_str());
  return 1;
}
