// The files of an interpreted plugin (its script and what the manifest's
// "files" lists), each opened once beneath the plugin's folder with no
// symlink followed, checked as a binary is (owner, mode, folders), copied
// into a sealed memfd (F_SEAL_WRITE, GROW, SHRINK, SEAL) and hashed from that
// memfd. What is hashed is what the sandbox provides to the interpreter
// (sandbox::ProvidedFile): the path is never opened again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "whitelist/sha256.h"

namespace stockade {

class Whitelist;

// Bounds on what one plugin may pin, checked while walking (a folder listed
// in "files" is walked; its __pycache__ folders are left out).
inline constexpr size_t kMaxPluginFiles = 1024;        // the script included
inline constexpr uint64_t kMaxPluginFileBytes = 16ull << 20;
inline constexpr uint64_t kMaxPluginFilesTotalBytes = 64ull << 20;
inline constexpr int kMaxPluginFileDepth = 16;         // folder levels below the plugin's

// What to open: the folder, the endpoint (script) and the "files" entries,
// all relative to the folder (pinned_label.h's grammar).
struct PluginFileSpec {
  std::string folder;
  std::string endpoint;
  std::vector<std::string> files;
};

struct SealedFile {
  std::string relative;   // below the plugin's folder: its place inside the sandbox
  std::string host_path;  // folder/relative, for messages
  UniqueFd fd;            // the sealed memfd, O_RDONLY use only
  uint64_t size = 0;
  Sha256Digest digest{};
  bool endpoint = false;  // the script (pinned as NAME) rather than a file (NAME/REL)
};

// Opens, checks, copies, seals and hashes the endpoint and every file.
// Errors: not_found (a listed file is missing: the message names it and the
// field), refused (a symlink, not a regular file, writable by others, changed
// while copied), limit (a bound above), io.
Result<std::vector<SealedFile>> seal_plugin_files(const PluginFileSpec& spec);

// The whitelist label of a sealed file: NAME for the endpoint, NAME/REL otherwise.
std::string label_of(std::string_view plugin, const SealedFile& file);

// The sealed files of an interpreted plugin, each found in the whitelist
// under its label; made only by verify() or the loud development mode.
class VerifiedPluginFiles {
 public:
  // Refuses (Errc::refused, naming the file, its label and digest) the
  // first file whose digest is not pinned.
  static Result<VerifiedPluginFiles> verify(std::vector<SealedFile> files, std::string_view plugin,
                                            const Whitelist& whitelist);
  struct DangerousDevelopmentMode {};
  static VerifiedPluginFiles unverified(std::vector<SealedFile> files, std::string_view plugin,
                                        DangerousDevelopmentMode);

  const std::vector<SealedFile>& files() const { return files_; }

 private:
  VerifiedPluginFiles() = default;
  std::vector<SealedFile> files_;
};

}  // namespace stockade
