// Every plugin.json the build puts in the plugins directory passes the
// supervisor's strict loader, names its own folder, and points at the binary
// beside it (or, for a Python plugin, at its script and the SDK's folders).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "config/manifest.h"

namespace stockade::testing {
namespace {

TEST(ExampleManifests, EveryPluginDirectoryHasAValidManifestAndItsBinary) {
  int plugins = 0;
  for (const auto& entry : std::filesystem::directory_iterator(STOCKADE_PLUGINS_DIR)) {
    ++plugins;
    const std::string folder = entry.path().filename();
    const std::string manifest_path = entry.path() / "plugin.json";
    auto manifest = supervisor::load_manifest(manifest_path);
    ASSERT_TRUE(manifest) << manifest.error().message();
    EXPECT_EQ(manifest->name, folder);
    const std::string binary = supervisor::endpoint_path(*manifest);
    struct stat st {};
    ASSERT_EQ(lstat(binary.c_str(), &st), 0) << binary;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << binary << " must be a copy, not a symlink";
    if (manifest->interpreter.empty()) {
      EXPECT_TRUE(st.st_mode & S_IXUSR) << binary;
    } else {
      // A script is read by its interpreter, not executed.
      for (const auto& file : manifest->files) {
        EXPECT_TRUE(std::filesystem::is_directory(entry.path() / file)) << folder << ": " << file;
      }
    }
  }
  // echo, calculator, pyecho, pycalc and fourteen misbehaving plugins
  EXPECT_EQ(plugins, 18);
}

}  // namespace
}  // namespace stockade::testing
