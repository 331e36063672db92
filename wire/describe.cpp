#include "wire/describe.h"

#include <cstdint>
#include <string_view>

namespace stockade::wire {
namespace {

class Line {
 public:
  explicit Line(std::string& out) : out_(out) {}

  void field(std::string_view name, std::uint64_t value) {
    sep(name);
    out_ += std::to_string(value);
  }
  void field(std::string_view name, std::string_view value) {
    sep(name);
    quote(value);
  }
  void field(std::string_view name, const flatbuffers::String* value) {
    if (value != nullptr) field(name, view(value));
  }
  void bytes_field(std::string_view name, const flatbuffers::Vector<std::uint8_t>* value) {
    if (value == nullptr) return;
    sep(name);
    out_ += std::to_string(value->size());
    out_ += 'B';
  }
  void list(std::string_view name,
            const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* values) {
    if (values == nullptr) return;
    sep(name);
    out_ += '[';
    bool first = true;
    for (const flatbuffers::String* s : *values) {
      if (!first) out_ += ',';
      first = false;
      quote(view(s));
    }
    out_ += ']';
  }
  void raw(std::string_view text) { out_ += text; }

  // Writes " name=" and leaves the value to the caller.
  void sep(std::string_view name) {
    if (out_.back() != '{') out_ += ' ';
    out_ += name;
    out_ += '=';
  }

 private:
  void quote(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    for (const char c : s) {
      const auto b = static_cast<unsigned char>(c);
      if (b < 0x20 || b >= 0x7f || c == '"' || c == '\\') {
        out_ += "\\x";
        out_ += kHex[b >> 4];
        out_ += kHex[b & 0xf];
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  std::string& out_;
};

void describe_error(Line& line, const fb::Error& e) {
  line.raw("{");
  line.field("code", std::string_view(fb::EnumNameErrorCode(e.code())));
  line.field("message", e.message());
  line.field("retryable", e.retryable() ? 1u : 0u);
  line.raw("}");
}

void describe_body(Line& line, const fb::Envelope& envelope) {
  switch (envelope.body_type()) {
    case fb::Body::Hello: {
      const auto& m = *envelope.body_as_Hello();
      std::string versions;
      for (const std::uint32_t v : *m.versions()) {
        versions += versions.empty() ? "" : ",";
        versions += std::to_string(v);
      }
      line.field("versions", std::string_view(versions));
      line.field("name", m.name());
      line.field("version", m.version());
      line.field("cookie", m.cookie() == nullptr ? "" : "<set>");
      break;
    }
    case fb::Body::HelloAck: {
      const auto& m = *envelope.body_as_HelloAck();
      line.field("version", m.version());
      line.field("max_frame", m.max_frame());
      line.field("max_concurrency", m.max_concurrency());
      break;
    }
    case fb::Body::ExecuteRequest: {
      const auto& m = *envelope.body_as_ExecuteRequest();
      line.field("method", m.method());
      line.bytes_field("payload", m.payload());
      line.field("deadline_ms", m.deadline_ms());
      line.field("attempt", m.attempt());
      break;
    }
    case fb::Body::ExecuteResponse: {
      const auto& m = *envelope.body_as_ExecuteResponse();
      line.bytes_field("payload", m.payload());
      if (m.error() != nullptr) {
        line.sep("error");
        describe_error(line, *m.error());
      }
      break;
    }
    case fb::Body::Cancel: line.field("cancel_id", envelope.body_as_Cancel()->id()); break;
    case fb::Body::HealthResponse: {
      const auto& m = *envelope.body_as_HealthResponse();
      line.field("status", std::string_view(fb::EnumNameServingStatus(m.status())));
      line.field("message", m.message());
      break;
    }
    case fb::Body::InfoResponse: {
      const auto& m = *envelope.body_as_InfoResponse();
      line.field("name", m.name());
      line.field("version", m.version());
      line.field("description", m.description());
      line.list("capabilities", m.capabilities());
      line.list("methods", m.methods());
      if (m.metadata() != nullptr) {
        for (const fb::KeyValue* kv : *m.metadata()) {
          line.field("meta.key", kv->key());
          line.field("meta.value", kv->value());
        }
      }
      break;
    }
    case fb::Body::CloseRequest:
      line.field("grace_ms", envelope.body_as_CloseRequest()->grace_ms());
      break;
    case fb::Body::Error: {
      const auto& e = *envelope.body_as_Error();
      line.field("code", std::string_view(fb::EnumNameErrorCode(e.code())));
      line.field("message", e.message());
      line.field("retryable", e.retryable() ? 1u : 0u);
      break;
    }
    case fb::Body::HealthRequest:
    case fb::Body::InfoRequest:
    case fb::Body::NONE: break;
  }
}

}  // namespace

std::string describe(const fb::Envelope& envelope) {
  std::string out = body_name(envelope.body_type());
  out += '{';
  Line line(out);
  line.field("id", envelope.id());
  describe_body(line, envelope);
  out += '}';
  return out;
}

}  // namespace stockade::wire
