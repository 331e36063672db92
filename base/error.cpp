#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace stockade {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_input: return "invalid input";
    case Errc::not_found: return "not found";
    case Errc::refused: return "refused";
    case Errc::io: return "i/o error";
    case Errc::protocol: return "protocol error";
    case Errc::limit: return "limit exceeded";
    case Errc::timeout: return "timeout";
    case Errc::unavailable: return "unavailable";
    case Errc::internal: return "internal error";
  }
  return "unknown error";
}

std::string Error::message() const {
  std::string out;
  if (!where.empty()) {
    out += where;
    out += ": ";
  }
  out += what;
  if (sys_errno != 0) {
    out += ": ";
    out += std::strerror(sys_errno);
  }
  return out;
}

Error sys_error(std::string what, std::string where, int err) {
  Errc code = Errc::io;
  if (err == ENOENT || err == ENOTDIR) code = Errc::not_found;
  if (err == EACCES || err == EPERM) code = Errc::refused;
  return Error{code, std::move(what), std::move(where), err};
}

Error sys_error(std::string what, std::string where) {
  return sys_error(std::move(what), std::move(where), errno);
}

}  // namespace stockade
