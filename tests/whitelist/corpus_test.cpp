// The committed fuzz seeds (fuzz/corpus/whitelist_parser/) are specified by
// their names: "valid-*" must parse, "invalid-*" must be refused. This keeps
// the corpus meaningful as the grammar evolves; docs/operators.md ("Whitelist and plugin-hash") says how the
// seeds were made.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_files.h"
#include "whitelist/whitelist.h"

namespace stockade {
namespace {

TEST(WhitelistFuzzCorpus, SeedsParseAsTheirNamesSay) {
  size_t valid = 0;
  size_t invalid = 0;
  for (const auto& entry : std::filesystem::directory_iterator(FUZZ_CORPUS_DIR)) {
    const std::string file = entry.path().filename().string();
    const std::string text = testing_support::read_file(entry.path().string());
    auto list = Whitelist::parse(text, file);
    if (file.starts_with("valid-")) {
      EXPECT_TRUE(list.ok()) << file << ": " << list.error().message();
      ++valid;
    } else if (file.starts_with("invalid-")) {
      EXPECT_FALSE(list.ok()) << file << " was accepted";
      ++invalid;
    } else {
      ADD_FAILURE() << "seed " << file << " is named neither valid-* nor invalid-*";
    }
  }
  EXPECT_GE(valid, 3u);
  EXPECT_GE(invalid, 5u);
}

}  // namespace
}  // namespace stockade
