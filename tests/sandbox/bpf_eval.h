// A classic-BPF interpreter for seccomp filters, so the generated policy can
// be checked in-process on (arch, nr, args) before any process starts.
// Supports what seccomp filters use: loads from seccomp_data, ALU, jumps, ret.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace stockade::sandbox::test {

inline uint32_t evaluate_seccomp(const std::vector<sock_filter>& program, const seccomp_data& data) {
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  auto load_word = [&](uint32_t offset) {
    if (offset + 4 > sizeof(data) || offset % 4 != 0) throw std::runtime_error("bad load offset");
    uint32_t value;
    std::memcpy(&value, reinterpret_cast<const char*>(&data) + offset, 4);
    return value;
  };
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& op = program[pc];
    switch (BPF_CLASS(op.code)) {
      case BPF_LD:
        if (BPF_MODE(op.code) == BPF_ABS) a = load_word(op.k);
        else if (BPF_MODE(op.code) == BPF_IMM) a = op.k;
        else if (BPF_MODE(op.code) == BPF_MEM) a = mem[op.k];
        else if (BPF_MODE(op.code) == BPF_LEN) a = sizeof(data);
        else throw std::runtime_error("unsupported load");
        break;
      case BPF_LDX:
        if (BPF_MODE(op.code) == BPF_IMM) x = op.k;
        else if (BPF_MODE(op.code) == BPF_MEM) x = mem[op.k];
        else if (BPF_MODE(op.code) == BPF_LEN) x = sizeof(data);
        else throw std::runtime_error("unsupported ldx");
        break;
      case BPF_ST: mem[op.k] = a; break;
      case BPF_STX: mem[op.k] = x; break;
      case BPF_ALU: {
        uint32_t operand = BPF_SRC(op.code) == BPF_X ? x : op.k;
        switch (BPF_OP(op.code)) {
          case BPF_ADD: a += operand; break;
          case BPF_SUB: a -= operand; break;
          case BPF_MUL: a *= operand; break;
          case BPF_DIV: a = operand ? a / operand : 0; break;
          case BPF_AND: a &= operand; break;
          case BPF_OR: a |= operand; break;
          case BPF_XOR: a ^= operand; break;
          case BPF_LSH: a <<= operand; break;
          case BPF_RSH: a >>= operand; break;
          case BPF_NEG: a = -a; break;
          default: throw std::runtime_error("unsupported alu");
        }
        break;
      }
      case BPF_JMP: {
        uint32_t operand = BPF_SRC(op.code) == BPF_X ? x : op.k;
        bool taken = false;
        switch (BPF_OP(op.code)) {
          case BPF_JA: pc += op.k; continue;
          case BPF_JEQ: taken = a == operand; break;
          case BPF_JGT: taken = a > operand; break;
          case BPF_JGE: taken = a >= operand; break;
          case BPF_JSET: taken = (a & operand) != 0; break;
          default: throw std::runtime_error("unsupported jump");
        }
        pc += taken ? op.jt : op.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(op.code) == BPF_A ? a : op.k;
      case BPF_MISC:
        if (BPF_MISCOP(op.code) == BPF_TAX) x = a;
        else a = x;
        break;
      default:
        throw std::runtime_error("unsupported instruction class");
    }
  }
  throw std::runtime_error("fell off the end of the program");
}

}  // namespace stockade::sandbox::test
