#include "calculator_client.h"

namespace stockade::examples::calculator {

namespace {

// Payloads are tiny; the verifier's limits stay far below the defaults so a
// hostile payload costs nothing to refuse.
flatbuffers::Verifier::Options verifier_options() {
  flatbuffers::Verifier::Options options;
  options.max_depth = 4;
  options.max_tables = 4;
  return options;
}

}  // namespace

std::vector<std::uint8_t> encode_request(Op op, double a, double b) {
  flatbuffers::FlatBufferBuilder fbb(64);
  FinishRequestBuffer(fbb, CreateRequest(fbb, op, a, b));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::optional<Operands> decode_request(std::span<const std::uint8_t> payload) {
  flatbuffers::Verifier verifier(payload.data(), payload.size(), verifier_options());
  if (!VerifyRequestBuffer(verifier)) return std::nullopt;
  const Request* request = GetRequest(payload.data());
  if (request->op() < Op::MIN || request->op() > Op::MAX) return std::nullopt;
  return Operands{request->op(), request->a(), request->b()};
}

std::vector<std::uint8_t> encode_response(double result) {
  flatbuffers::FlatBufferBuilder fbb(64);
  fbb.Finish(CreateResponse(fbb, result), RequestIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::optional<double> decode_response(std::span<const std::uint8_t> payload) {
  flatbuffers::Verifier verifier(payload.data(), payload.size(), verifier_options());
  if (!verifier.VerifyBuffer<Response>(RequestIdentifier())) return std::nullopt;
  return flatbuffers::GetRoot<Response>(payload.data())->result();
}

}  // namespace stockade::examples::calculator
