// Errors as values (Errc, Error: the public <stockade/result.h>) and, for
// stockade's own code, the builders of an Error from a failed syscall.
#pragma once

#include <string>

#include "stockade/result.h"

namespace stockade {

// Builds an Error from the current errno, naming the syscall (and object) at fault.
Error sys_error(std::string what, std::string where = {});
Error sys_error(std::string what, std::string where, int err);

}  // namespace stockade
