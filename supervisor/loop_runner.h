// run_loop: the runtime's loop thread. io_context::run(), except that when
// nothing is ready it looks again for a short while before it sleeps.
//
// Why: the loop spends most of a call waiting for the plugin's answer, and
// asleep in epoll_wait it is woken through its CPU, idle by then: 25-55 us
// on the guests we measured, as much as the round trip. Looking again for
// up to kLoopSpin (a look, an epoll_wait with no timeout, every
// microsecond) keeps the CPU awake for an answer that comes within it.
// The spin takes a SpinSlot (spin_slot.h), so it never holds the last CPU
// the plugins have, and it happens only when `awaiting` says so (a request just sent or a call just
// ended; not while plugins start, when the CPU is the launches', nor at
// each wake-up while a slow call is out): at most kLoopSpin of CPU each
// time the loop runs out of work then.
#pragma once

#include <functional>

#include <boost/asio/io_context.hpp>

namespace stockade::supervisor {

// `awaiting` runs on the loop thread, between handlers; empty, the loop
// never spins (as on one CPU) and this is io.run().
void run_loop(boost::asio::io_context& io, const std::function<bool()>& awaiting);

}  // namespace stockade::supervisor
