// arg_cmp(): one argument comparison for a libseccomp rule. Internal to
// sandbox/ (and its tests): libseccomp's SCMP_A0()..SCMP_A5() macros are C99
// compound literals, which clang rejects in C++ under -Wpedantic.
#pragma once

#include <seccomp.h>

namespace stockade::sandbox {

inline scmp_arg_cmp arg_cmp(unsigned int arg, scmp_compare op, scmp_datum_t a,
                            scmp_datum_t b = 0) {
  scmp_arg_cmp cmp{};
  cmp.arg = arg;
  cmp.op = op;
  cmp.datum_a = a;
  cmp.datum_b = b;
  return cmp;
}

}  // namespace stockade::sandbox
