#include <utility>

#include "stockade/sdk.h"

namespace stockade::sdk {

const char* code_name(Code code) {
  switch (code) {
    case Code::cancelled: return "CANCELLED";
    case Code::invalid_argument: return "INVALID_ARGUMENT";
    case Code::deadline_exceeded: return "DEADLINE_EXCEEDED";
    case Code::not_found: return "NOT_FOUND";
    case Code::resource_exhausted: return "RESOURCE_EXHAUSTED";
    case Code::unavailable: return "UNAVAILABLE";
    case Code::internal: return "INTERNAL";
    case Code::unimplemented: return "UNIMPLEMENTED";
  }
  return "UNKNOWN";
}

Reply Reply::ok(std::vector<std::uint8_t> payload) {
  Reply reply;
  reply.payload_ = std::move(payload);
  return reply;
}

Reply Reply::ok(std::span<const std::uint8_t> payload) {
  return ok(std::vector<std::uint8_t>(payload.begin(), payload.end()));
}

Reply Reply::ok(std::string_view text) {
  return ok(std::vector<std::uint8_t>(text.begin(), text.end()));
}

Reply Reply::error(Code code, std::string message, bool retryable) {
  return error(PluginError{code, std::move(message), retryable});
}

Reply Reply::error(PluginError error) {
  Reply reply;
  reply.error_ = std::move(error);
  reply.failed_ = true;
  return reply;
}

}  // namespace stockade::sdk
