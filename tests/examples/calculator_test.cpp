// The calculator over the wire: FlatBuffers methods, the text form, errors.
#include <gtest/gtest.h>

#include <string>

#include "calculator_client.h"
#include "tests/sdk/plugin_host.h"

namespace stockade::testing {
namespace {

namespace calc = examples::calculator;
using wire::fb::ErrorCode;

class Calculator : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(host_.handshake()); }
  ExecuteResult call(std::string_view method, std::span<const std::uint8_t> payload) {
    host_.execute_bytes(++id_, method, payload);
    auto result = host_.execute_result();
    if (!result) throw std::runtime_error("no answer");
    return *result;
  }
  ExecuteResult call_text(std::string_view text) {
    return call("calc", {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  }
  double value(const ExecuteResult& result) {
    EXPECT_TRUE(result.ok) << result.message;
    auto decoded = calc::decode_response(
        {reinterpret_cast<const std::uint8_t*>(result.payload.data()), result.payload.size()});
    EXPECT_TRUE(decoded.has_value());
    return decoded.value_or(-1);
  }

  PluginHost host_{plugin_binary("calculator")};
  std::uint64_t id_ = 0;
};

TEST_F(Calculator, MethodNamesTheOperation) {
  // The request's op field is ignored by these methods (Add here).
  const auto operands = calc::encode_request(calc::Op::Add, 6, 3);
  EXPECT_EQ(value(call("add", operands)), 9);
  EXPECT_EQ(value(call("subtract", operands)), 3);
  EXPECT_EQ(value(call("multiply", operands)), 18);
  EXPECT_EQ(value(call("divide", operands)), 2);
}

TEST_F(Calculator, CalculateTakesTheOperationFromThePayload) {
  EXPECT_EQ(value(call("calculate", calc::encode_request(calc::Op::Multiply, 6, 7))), 42);
  EXPECT_EQ(value(call("calculate", calc::encode_request(calc::Op::Divide, 1, 4))), 0.25);
}

TEST_F(Calculator, DivisionByZeroIsInvalidArgument) {
  const auto result = call("divide", calc::encode_request(calc::Op::Divide, 1, 0));
  EXPECT_EQ(result.code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.message, "division by zero");
  EXPECT_FALSE(result.retryable);
}

TEST_F(Calculator, MalformedPayloadIsInvalidArgument) {
  const std::uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const auto result = call("add", junk);
  EXPECT_EQ(result.code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(call("calculate", {}).code, ErrorCode::INVALID_ARGUMENT);
}

TEST_F(Calculator, UnknownMethodIsNotFound) {
  EXPECT_EQ(call("modulo", calc::encode_request(calc::Op::Add, 1, 2)).code, ErrorCode::NOT_FOUND);
}

TEST_F(Calculator, TextForm) {
  EXPECT_EQ(call_text("6 * 7").payload, "42");
  EXPECT_EQ(call_text("1.5+2.25\n").payload, "3.75");
  EXPECT_EQ(call_text("10 - 20").payload, "-10");
  EXPECT_EQ(call_text("1 / 3").payload, "0.3333333333333333");
  EXPECT_EQ(call_text("-2 x -3").payload, "6");
  const auto zero = call_text("6 / 0");
  EXPECT_EQ(zero.code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(zero.message, "division by zero");
  EXPECT_EQ(call_text("six times seven").code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(call_text("6 * 7 * 8").code, ErrorCode::INVALID_ARGUMENT);
}

TEST_F(Calculator, InfoListsTheMethods) {
  host_.info(99);
  auto frame = host_.receive();
  ASSERT_TRUE(frame);
  const auto* info = (*frame)->body_as_InfoResponse();
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(wire::view(info->name()), "calculator");
  EXPECT_EQ(info->methods()->size(), 6u);
}

TEST(CalculatorClient, RequestAndResponseRoundTripAndRefuseJunk) {
  const auto request = calc::encode_request(calc::Op::Subtract, 2.5, -1);
  const auto operands = calc::decode_request(request);
  ASSERT_TRUE(operands);
  EXPECT_EQ(operands->op, calc::Op::Subtract);
  EXPECT_EQ(operands->a, 2.5);
  EXPECT_EQ(operands->b, -1);
  EXPECT_EQ(calc::decode_response(calc::encode_response(42)), 42);
  // A Request is not a Response and vice versa only by content; junk is refused.
  const std::uint8_t junk[] = {0xff, 0xff, 0xff, 0x7f, 'C', 'A', 'L', 'C'};
  EXPECT_FALSE(calc::decode_request(junk));
  EXPECT_FALSE(calc::decode_response(junk));
}

}  // namespace
}  // namespace stockade::testing
