// The daemon's fixed bounds on what clients may make it hold. Not config:
// they protect the daemon from its clients, whichever config it runs, and
// docs/control-protocol.md ("Bounds of the daemon") lists them.
#pragma once

#include <chrono>
#include <cstddef>

namespace stockade::daemon {

// Connections open at once; one more is accepted, logged and closed at once.
inline constexpr std::size_t kMaxConnections = 256;
// Requests of one connection in flight (read, not yet answered); at the bound
// the daemon stops reading that socket until answers drain (backpressure).
inline constexpr std::size_t kMaxRequestsInFlight = 64;
// Answer bytes queued for one connection that its client has not read yet;
// above it the daemon stops reading that socket as well.
inline constexpr std::size_t kMaxQueuedReplyBytes = 16u * 1024 * 1024;
// A frame that has begun must be whole within this time, or the connection is dropped.
inline constexpr std::chrono::seconds kFrameReadDeadline{5};
// Blocking requests (Status, Info, Health, Restart, Reload, Metrics) running
// or queued on the worker pool for all clients together; beyond it they are
// answered RESOURCE_EXHAUSTED.
inline constexpr std::size_t kMaxBlockingRequests = 64;
inline constexpr std::size_t kWorkerThreads = 4;
// Bytes read from a socket at once.
inline constexpr std::size_t kReadChunk = 64 * 1024;
// After SIGTERM and the supervisor's stop, answers still queued get this long to reach their clients.
inline constexpr std::chrono::seconds kFinalFlush{2};
// After the daemon's last answer on a connection it is closing: how long the
// peer gets to close its end before the socket is closed under it.
inline constexpr std::chrono::seconds kLingerTime{1};
// Lines a second of the "connection dropped / refused" kind (hostile clients
// must not flood the journal); the rest are counted and summed up.
inline constexpr unsigned kDropLogsPerSecond = 10;

}  // namespace stockade::daemon
