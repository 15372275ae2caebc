#pragma once
// One health probe: a TCP connect, an HTTP GET expecting 2xx, or a command run without a
// shell that must exit 0, bounded by the check's timeout as measured by a TimerClock.
//
// Responsible for: the network and process I/O of one probe, and for leaving nothing behind
// (sockets closed; the command's process group killed and the command reaped).
// Not responsible for: scheduling probes or counting results (health.hpp, health_state.hpp).
// Thread: the executor of the awaiting coroutine; nothing blocks it (a command is awaited
// through its pidfd and reaped only once it has exited).

#include "common/asio.hpp"
#include "common/timer.hpp"
#include "config/model.hpp"
#include "health/health_state.hpp"

namespace vipd::health {

// Runs one probe of `check`, bounded by check.timeout on `clock` (which must outlive the
// probe). Never throws for network or process errors: they are failed results, and a probe
// that runs out of time is "timed out after <timeout>". A command runs in its own process
// group, which is killed when the command exits or times out, so nothing it started outlives
// the probe. Cancelling a probe (for example through `||`) is safe: sockets close and the
// command is killed and reaped before the cancelled probe completes.
asio::awaitable<ProbeResult> probe(TimerClock& clock, config::HealthCheck check);

}  // namespace vipd::health
