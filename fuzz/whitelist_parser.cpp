// libFuzzer (and AFL++) target for the whitelist parser: any bytes, as if
// they were a whitelist file. Beyond not crashing, an accepted whitelist must
// hold only well-formed entries, and printing them back must parse to the same
// entries (the grammar has one spelling per entry).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "whitelist/pinned_label.h"
#include "whitelist/whitelist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using stockade::Whitelist;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = Whitelist::parse(text, "fuzz");
  if (!list.ok()) {
    // Every refusal names the source and a line.
    if (list.error().where.rfind("fuzz", 0) != 0) std::abort();
    return 0;
  }
  std::string printed;
  for (const Whitelist::Entry& e : list->entries()) {
    // A plugin name, NAME/REL or NAME@/ABS (whitelist/pinned_label.h).
    if (!stockade::is_valid_label(e.name)) std::abort();
    if (!list->allows(e.name, e.digest)) std::abort();
    printed += stockade::to_hex(e.digest) + "  " + e.name + "\n";
  }
  auto again = Whitelist::parse(printed, "reprinted");
  if (!again.ok() || again->entries().size() != list->entries().size()) std::abort();
  for (size_t i = 0; i < again->entries().size(); ++i) {
    if (again->entries()[i].name != list->entries()[i].name ||
        again->entries()[i].digest != list->entries()[i].digest) {
      std::abort();
    }
  }
  return 0;
}
