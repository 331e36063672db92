#include "plugin-hash/options.h"

#include "whitelist/whitelist.h"

namespace stockade::plugin_hash {
namespace {

Error usage(std::string what) { return Error{Errc::invalid_input, std::move(what), {}, 0}; }

}  // namespace

const char* const kHelpText =
    R"(Usage: plugin-hash [--name NAME] FILE...
       plugin-hash --check WHITELIST [--name NAME] FILE...
       plugin-hash --plugin DIR

Print or check stockade whitelist entries (sha256 pins of plugin binaries).

Without --check, prints one whitelist line per FILE:
    <64 lowercase hex sha256>  <name>
The digest is the same as sha256sum's. The name is NAME if given, else the
FILE's base name; append the lines to the whitelist to pin the binaries.

With --plugin DIR, reads DIR/plugin.json and prints every line the plugin
needs: its binary's, or for an interpreted plugin (manifest "interpreter")
the interpreter's, the script's and one per file under "files":
    <sha256>  <name>@/usr/bin/python3     the interpreter
    <sha256>  <name>                      the endpoint (binary or script)
    <sha256>  <name>/lib/helper.py        a file, relative to DIR
so that "plugin-hash --plugin DIR >> WHITELIST" pins the plugin in one step
(remove the plugin's old lines first when pinning it again: an exact
duplicate line refuses the whole whitelist).

With --check WHITELIST, checks that every FILE's digest is pinned in
WHITELIST under that FILE's name (NAME if given, else its base name); prints
"FILE: OK" or "FILE: FAILED" and why for each.

Options:
  --name NAME        name for every FILE: 1-128 of [A-Za-z0-9._-], not
                     starting with '.' or '-'
  --check WHITELIST  check FILEs against WHITELIST instead of printing
  --plugin DIR       print every line the plugin in DIR (DIR/plugin.json) needs
  -h, --help         show this help
  --                 end of options (for file names that start with '-')

Whitelist format: one entry a line, "<64 lowercase hex>  <label>" (exactly two
spaces), the label a name, NAME/RELATIVE/PATH or NAME@/ABSOLUTE/PATH (paths of
[A-Za-z0-9._+-/]); lines starting with '#' are comments; empty lines are ignored; a
name may have several digests. A malformed line refuses the whole file, and
the error names the file and the line.
)";

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options opts;
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg.empty() || arg[0] != '-') {
      opts.files.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
    } else if (arg == "-h" || arg == "--help") {
      opts.help = true;
    } else if (arg == "--plugin" || arg.starts_with("--plugin=")) {
      std::string value;
      if (const size_t eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else {
        if (i + 1 == args.size()) return usage("--plugin needs a value");
        value = args[++i];
      }
      if (opts.plugin) return usage("--plugin given twice");
      if (value.empty()) return usage("--plugin needs a non-empty value");
      opts.plugin = std::move(value);
    } else if (arg == "--name" || arg.starts_with("--name=") || arg == "--check" ||
               arg.starts_with("--check=")) {
      const bool is_name = arg.starts_with("--name");
      const std::string flag = is_name ? "--name" : "--check";
      std::string value;
      if (const size_t eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else {
        if (i + 1 == args.size()) return usage(flag + " needs a value");
        value = args[++i];
      }
      std::optional<std::string>& slot = is_name ? opts.name : opts.whitelist;
      if (slot) return usage(flag + " given twice");
      if (value.empty()) return usage(flag + " needs a non-empty value");
      if (is_name && !is_valid_plugin_name(value)) {
        return usage("invalid --name \"" + value +
                     "\": 1-128 of [A-Za-z0-9._-], not starting with '.' or '-'");
      }
      slot = std::move(value);
    } else if (arg == "-") {
      return usage("reading standard input is not supported: give a file");
    } else {
      return usage("unknown option " + arg);
    }
  }
  if (opts.plugin && !opts.help) {
    if (!opts.files.empty() || opts.name || opts.whitelist) {
      return usage("--plugin DIR takes no FILE, --name or --check: the manifest names them");
    }
    return opts;
  }
  if (!opts.help && opts.files.empty()) return usage("no FILE given");
  return opts;
}

}  // namespace stockade::plugin_hash
