// The committed fuzz seeds of the config/ readers (fuzz/corpus/manifest_parser/,
// fuzz/corpus/config_parser/) are specified by their names: "valid-*" pass
// parse and validate, "invalid-*" fail one of them. This keeps the corpora
// meaningful as the schema evolves (docs/testing.md, "Fuzzing the manifest and
// config readers").
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "config/config.h"
#include "config/manifest.h"
#include "tests/support/temp_dir.h"

namespace stockade::supervisor {
namespace {

// Checks every seed in `dir` by its name; `accepts` says whether parse and
// validate both pass.
void check_seeds(const std::string& dir, const std::function<bool(const std::string&)>& accepts) {
  size_t valid = 0;
  size_t invalid = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string seed = entry.path().filename().string();
    const bool accepted = accepts(testing::read_file(entry.path().string()));
    if (seed.starts_with("valid-")) {
      EXPECT_TRUE(accepted) << dir << "/" << seed << " was refused";
      ++valid;
    } else if (seed.starts_with("invalid-")) {
      EXPECT_FALSE(accepted) << dir << "/" << seed << " was accepted";
      ++invalid;
    } else {
      ADD_FAILURE() << "seed " << dir << "/" << seed << " is named neither valid-* nor invalid-*";
    }
  }
  EXPECT_GE(valid, 3u) << dir;
  EXPECT_GE(invalid, 5u) << dir;
}

TEST(ConfigFuzzCorpus, ManifestSeedsParseAsTheirNamesSay) {
  check_seeds(MANIFEST_CORPUS_DIR, [](const std::string& text) {
    auto m = parse_manifest(text, "seed");
    return m.ok() && validate_manifest(*m).ok();
  });
}

TEST(ConfigFuzzCorpus, ConfigSeedsParseAsTheirNamesSay) {
  check_seeds(CONFIG_CORPUS_DIR, [](const std::string& text) {
    auto c = parse_config(text, "seed");
    return c.ok() && validate_config(*c).ok();
  });
}

}  // namespace
}  // namespace stockade::supervisor
