// stockade's errors as values: an Error says what failed, where (the file,
// field or syscall at fault) and the errno; Result<T> is a value or an Error,
// Status a success or an Error. Every public call of stockade's libraries
// returns one of them; message() is the text to show a user.
// Installed as <stockade/result.h>; C++20 and the standard library only.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace stockade {

// Broad classes of failure; callers branch on these, users read message().
enum class Errc {
  invalid_input,   // malformed file, bad argument, failed verification of bytes
  not_found,       // a file, plugin or entry that does not exist
  refused,         // a policy said no: not whitelisted, beyond a ceiling
  io,              // a syscall failed
  protocol,        // a peer broke the wire protocol
  limit,           // a bound was hit (size, count, rate)
  timeout,         // a deadline passed
  unavailable,     // temporarily not possible (restarting, circuit open)
  internal,        // a bug or an impossible state
};

const char* errc_name(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string what;    // what was being done and why it failed, for humans
  std::string where;   // the file[:line], key path or syscall at fault; may be empty
  int sys_errno = 0;   // errno of the failing syscall, 0 if none

  // "where: what: strerror(errno)", omitting the empty parts.
  std::string message() const;
};

// Result<T>: a value or an Error (C++20 has no std::expected). Exceptions are
// kept for programming errors; failures the caller must handle travel as Result.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace stockade
