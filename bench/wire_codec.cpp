// Encode and decode+verify of a typical ExecuteRequest, 16 B and 64 KiB
// payloads. The floor printed beside them is a memcpy of the same frame: what
// moving the bytes alone costs on this machine, in this run.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/frame_builder.h"
#include "wire/frame_decoder.h"
#include "wire/frame_reader.h"

namespace {

using stockade::wire::FrameBuilder;
using stockade::wire::kLengthPrefixSize;

std::vector<std::uint8_t> make_payload(std::size_t size) {
  std::vector<std::uint8_t> p(size);
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<std::uint8_t>(i);
  return p;
}

void BM_EncodeExecuteRequest(benchmark::State& state) {
  const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
  FrameBuilder builder;
  std::uint64_t id = 0;
  for (auto _ : state) {
    auto frame = builder.encode_execute_request(++id, "calc.add", payload, 500, 1);
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_DecodeExecuteRequest(benchmark::State& state) {
  const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
  FrameBuilder builder;
  auto frame = builder.encode_execute_request(7, "calc.add", payload, 500, 1);
  if (!frame.ok()) {
    state.SkipWithError(frame.error().message().c_str());
    return;
  }
  const auto body = frame->subspan(kLengthPrefixSize);
  for (auto _ : state) {
    auto decoded = stockade::wire::decode_frame(body);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// The verifier alone, without our field checks and Result: where time goes.
void BM_VerifierOnlyExecuteRequest(benchmark::State& state) {
  const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
  FrameBuilder builder;
  auto frame = builder.encode_execute_request(7, "calc.add", payload, 500, 1);
  const auto body = frame->subspan(kLengthPrefixSize);
  for (auto _ : state) {
    flatbuffers::Verifier::Options options;
    options.max_depth = 16;
    options.max_tables = 1024;
    flatbuffers::Verifier verifier(body.data(), body.size(), options);
    bool ok = verifier.VerifyBuffer<stockade::wire::fb::Envelope>("STKD");
    benchmark::DoNotOptimize(ok);
  }
}

// The reader on a stream of 16 B requests arriving 64 KiB at a time.
void BM_ReaderThenDecode16B(benchmark::State& state) {
  const auto payload = make_payload(16);
  FrameBuilder builder;
  auto frame = builder.encode_execute_request(7, "calc.add", payload, 500, 1);
  std::vector<std::uint8_t> stream;
  while (stream.size() + frame->size() <= 64 * 1024) {
    stream.insert(stream.end(), frame->begin(), frame->end());
  }
  const std::size_t frames = stream.size() / frame->size();
  stockade::wire::FrameReader reader;
  for (auto _ : state) {
    auto space = reader.prepare(stream.size());
    std::memcpy(space.data(), stream.data(), space.size());
    reader.commit(space.size());
    for (;;) {
      auto next = reader.next();
      if (!next.ok() || !*next) break;
      auto decoded = stockade::wire::decode_frame(**next);
      benchmark::DoNotOptimize(decoded);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * frames));
}

void BM_FloorMemcpyFrame(benchmark::State& state) {
  const auto payload = make_payload(static_cast<std::size_t>(state.range(0)));
  FrameBuilder builder;
  auto frame = builder.encode_execute_request(7, "calc.add", payload, 500, 1);
  std::vector<std::uint8_t> out(frame->size());
  for (auto _ : state) {
    std::memcpy(out.data(), frame->data(), frame->size());
    benchmark::ClobberMemory();
  }
}

BENCHMARK(BM_EncodeExecuteRequest)->Arg(16)->Arg(64 * 1024);
BENCHMARK(BM_DecodeExecuteRequest)->Arg(16)->Arg(64 * 1024);
BENCHMARK(BM_VerifierOnlyExecuteRequest)->Arg(16)->Arg(64 * 1024);
BENCHMARK(BM_ReaderThenDecode16B);
BENCHMARK(BM_FloorMemcpyFrame)->Arg(16)->Arg(64 * 1024);

}  // namespace

BENCHMARK_MAIN();
