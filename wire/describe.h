// describe(): a one-line, human-readable rendering of a verified Envelope for
// logs and test failures, e.g.
//   ExecuteRequest{id=7 method="echo" payload=16B deadline_ms=500 attempt=1}
// Payloads appear as their size; strings are quoted with control and non-ASCII
// bytes escaped as \xNN, so plugin text can never forge a log line. It reads
// every field, which is also what the fuzz targets rely on to touch them all.
#pragma once

#include <string>

#include "wire/messages.h"

namespace stockade::wire {

// `envelope` must come from decode_frame (or a FrameBuilder frame).
std::string describe(const fb::Envelope& envelope);

}  // namespace stockade::wire
