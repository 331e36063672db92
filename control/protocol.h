// Constants of stockade control protocol v1 (control/control.fbs,
// docs/control-protocol.md). Framing constants are the plugin wire's
// (wire/protocol.h): the same length prefix, alignment and frame ceiling.
#pragma once

#include <cstdint>

#include "wire/protocol.h"

namespace stockade::control {

// Envelope.version of every frame this build sends and the only one it accepts.
inline constexpr std::uint32_t kControlVersion = 1;

// FlatBuffers file identifier of every control frame body; not the wire's
// "STKD", so a frame of one protocol is never taken for the other.
inline constexpr char kControlFileIdentifier[] = "STKC";

// Where `stockade serve` listens and its clients connect unless told.
inline constexpr char kDefaultSocketPath[] = "/run/stockade/control.sock";
// The environment variable clients read before falling back to the default.
inline constexpr char kSocketEnvVar[] = "STOCKADE_SOCKET";

using wire::kBodyAlignment;
using wire::kLengthPrefixSize;
inline constexpr std::uint32_t kDefaultMaxFrame = wire::kDefaultMaxFrame;
// Plugins in one StatusReply (a page). Even with every string at its bound
// (ControlLimits: 256 + 2 x 4096 bytes) a page fits in kDefaultMaxFrame, so a
// host of any size answers Status; clients ask page after page.
inline constexpr std::uint32_t kStatusPageSize = 256;

}  // namespace stockade::control
