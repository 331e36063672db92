// Constants of stockade wire protocol v1 that both ends must agree on.
// The schema is wire/stockade.fbs; framing is described in docs/wire-protocol.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace stockade::wire {

// The protocol version this build speaks (Hello.versions, HelloAck.version).
inline constexpr std::uint32_t kProtocolVersion = 1;

// FlatBuffers file identifier of every frame body.
inline constexpr char kFileIdentifier[] = "STKD";

// Bytes of the little-endian length that precedes each frame body.
inline constexpr std::size_t kLengthPrefixSize = 4;

// A frame body is a FlatBuffer aligned to its own first byte (built with
// Finish, not FinishSizePrefixed), and the receiver keeps it at an address
// aligned to this many bytes, the largest scalar in the schema.
inline constexpr std::size_t kBodyAlignment = 8;

// Default largest frame body (the length N); a plugin's manifest may lower it.
inline constexpr std::uint32_t kDefaultMaxFrame = 4u * 1024 * 1024;

// Hard ceiling for any configured max_frame: FlatBuffers offsets are signed
// 32-bit, and no sane plugin call needs more.
inline constexpr std::uint32_t kMaxFrameCeiling = 256u * 1024 * 1024;

// The plugin's end of the AF_UNIX SOCK_STREAM socketpair.
inline constexpr int kPluginSocketFd = 3;

// Environment variable holding the per-launch cookie that Hello echoes. A
// plugin started without it was started by hand, not by stockade.
inline constexpr char kCookieEnvVar[] = "STOCKADE_PLUGIN_COOKIE";

}  // namespace stockade::wire
