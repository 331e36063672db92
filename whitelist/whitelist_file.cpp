// Whitelist::parse / load / allows: the strict whitelist text format.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>

#include "base/syscall.h"
#include "base/error.h"
#include "whitelist/pinned_label.h"
#include "whitelist/trust_path.h"
#include "whitelist/whitelist.h"

namespace stockade {
namespace {

constexpr size_t kHexLen = 64;
constexpr std::string_view kSeparator = "  ";

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

// Bytes of a label (pinned_label.h): a name's, and the separators and path
// characters of the file and interpreter forms.
bool is_label_char(char c) { return is_name_char(c) || c == '/' || c == '@' || c == '+'; }

Error line_error(std::string_view source, size_t line, std::string what) {
  return Error{Errc::invalid_input, std::move(what),
               std::string(source) + ":" + std::to_string(line), 0};
}

// Names the first byte no entry may contain, so the error says what to fix.
std::string describe_bad_byte(char c) {
  switch (c) {
    case '\r': return "a carriage return (CRLF line endings are not accepted)";
    case '\t': return "a tab (the separator is exactly two spaces)";
    case '\0': return "a NUL byte";
    case ' ': return "a space";
    case '#': return "'#' (comments must start the line)";
    default: break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0x0f];
  return std::string("'") + c + "'";
}

// One entry line: "<64 lowercase hex>  <label>", nothing before or after;
// the label is a plugin name, NAME/REL or NAME@/ABS (pinned_label.h).
Result<Whitelist::Entry> parse_entry(std::string_view line) {
  auto fail = [](std::string what) { return Error{Errc::invalid_input, std::move(what), {}, 0}; };
  if (line.size() < kHexLen) {
    return fail("expected \"<64 lowercase hex>  <name>\"");
  }
  auto digest = parse_digest(line.substr(0, kHexLen));
  if (!digest) return fail("the digest must be 64 lowercase hex characters (0-9, a-f)");
  std::string_view rest = line.substr(kHexLen);
  if (rest.substr(0, kSeparator.size()) != kSeparator) {
    return fail("the digest must be followed by exactly two spaces and the name");
  }
  std::string_view name = rest.substr(kSeparator.size());
  if (name.empty()) return fail("missing name after the digest");
  for (char c : name) {
    if (!is_label_char(c)) {
      return fail("the name contains " + describe_bad_byte(c) +
                  "; names are 1-128 of [A-Za-z0-9._-], optionally followed by /RELATIVE/PATH "
                  "(a plugin's file) or @/ABSOLUTE/PATH (its interpreter) of [A-Za-z0-9._+-/]");
    }
  }
  const size_t cut = name.find_first_of("/@");
  if (!is_valid_plugin_name(name.substr(0, cut))) {
    return fail("invalid name \"" + std::string(name.substr(0, cut)) +
                "\": 1-128 of [A-Za-z0-9._-], not starting with '.' or '-'");
  }
  if (!is_valid_label(name)) {
    return fail("invalid path in \"" + std::string(name) +
                "\": after NAME/ a relative path, after NAME@ an absolute one, without empty, "
                "\".\" or \"..\" components, at most " + std::to_string(kMaxPinnedPathBytes) +
                " bytes");
  }
  return Whitelist::Entry{*digest, std::string(name), 0};
}

// Comment text may be anything printable or UTF-8, but not bytes that would
// hide or rewrite the line in a terminal or an editor.
bool comment_byte_ok(char c) { return c != '\r' && c != '\0'; }

}  // namespace

bool is_valid_plugin_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxPluginNameBytes) return false;
  if (name.front() == '.' || name.front() == '-') return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

Result<Whitelist> Whitelist::parse(std::string_view text, std::string_view source) {
  if (text.size() > kMaxWhitelistBytes) {
    return Error{Errc::limit, "larger than " + std::to_string(kMaxWhitelistBytes) + " bytes",
                 std::string(source), 0};
  }
  Whitelist list;
  // (name, digest) -> first line, to refuse exact duplicates.
  std::map<std::pair<std::string, Sha256Digest>, size_t> seen;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    if (line_no > kMaxWhitelistLines) {
      return line_error(source, line_no,
                        "more than " + std::to_string(kMaxWhitelistLines) + " lines");
    }
    const size_t eol = text.find('\n', pos);
    const size_t end = eol == std::string_view::npos ? text.size() : eol;
    const std::string_view line = text.substr(pos, end - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;

    if (line.size() > kMaxWhitelistLineBytes) {
      return line_error(source, line_no,
                        "line longer than " + std::to_string(kMaxWhitelistLineBytes) + " bytes");
    }
    if (line.empty()) continue;
    if (line.front() == '#') {
      for (char c : line) {
        if (!comment_byte_ok(c)) {
          return line_error(source, line_no, "comment contains " + describe_bad_byte(c));
        }
      }
      continue;
    }
    auto entry = parse_entry(line);
    if (!entry) return line_error(source, line_no, std::move(entry).error().what);
    entry->line = static_cast<int>(line_no);
    auto [it, inserted] = seen.emplace(std::pair(entry->name, entry->digest), line_no);
    if (!inserted) {
      return line_error(source, line_no,
                        "duplicate entry for \"" + entry->name + "\" (first on line " +
                            std::to_string(it->second) + ")");
    }
    list.entries_.push_back(std::move(*entry));
  }
  return list;
}

Result<Whitelist> Whitelist::load(const std::string& path) {
  // O_NONBLOCK: a FIFO put where the whitelist should be must not hang the
  // open; it is refused just below, and reads of a regular file ignore the flag.
  UniqueFd fd(retry_on_eintr(
      [&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); }));
  if (!fd) return sys_error("cannot open whitelist", path);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return sys_error("cannot stat whitelist", path);
  if (!S_ISREG(st.st_mode)) {
    return Error{Errc::invalid_input, "the whitelist is not a regular file", path, 0};
  }
  // A whitelist someone else can rewrite pins nothing: checked on this very
  // fd, the one read below, and along its path (whitelist/trust_path.h).
  if (auto trusted = check_trusted(fd.get(), path, "whitelist"); !trusted) {
    return std::move(trusted).error();
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxWhitelistBytes) {
    return Error{Errc::limit, "larger than " + std::to_string(kMaxWhitelistBytes) + " bytes",
                 path, 0};
  }
  // Read one byte past the limit so a file that grew after fstat is still caught.
  std::string text(static_cast<size_t>(st.st_size) + 1, '\0');
  size_t got = 0;
  for (;;) {
    if (got == text.size()) {
      if (text.size() > kMaxWhitelistBytes) {
        return Error{Errc::limit, "larger than " + std::to_string(kMaxWhitelistBytes) + " bytes",
                     path, 0};
      }
      text.resize(std::min(text.size() * 2, kMaxWhitelistBytes + 1));
    }
    const ssize_t n = retry_on_eintr([&] { return read(fd.get(), &text[got], text.size() - got); });
    if (n < 0) return sys_error("cannot read whitelist", path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return parse(text, path);
}

bool Whitelist::allows(std::string_view name, const Sha256Digest& digest) const {
  bool found = false;
  // Every candidate of the name is compared, in constant time each, so the
  // time taken does not tell which pinned digest was closest.
  for (const Entry& e : entries_) {
    if (e.name == name && digests_equal(e.digest, digest)) found = true;
  }
  return found;
}

Whitelist Whitelist::pins_of(std::string_view plugin) const {
  Whitelist out;
  for (const Entry& e : entries_) {
    const std::string_view label = e.name;
    // NAME, NAME/REL or NAME@/ABS (pinned_label.h): a plugin name holds
    // neither '/' nor '@', so the character after it tells.
    if (label.substr(0, plugin.size()) != plugin) continue;
    if (label.size() == plugin.size() || label[plugin.size()] == '/' || label[plugin.size()] == '@')
      out.entries_.push_back(e);
  }
  return out;
}

bool Whitelist::has_name(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return true;
  }
  return false;
}

}  // namespace stockade
