#pragma once
// Kubernetes timestamps: metav1.MicroTime ("2006-01-02T15:04:05.000000Z", Lease acquireTime
// and renewTime) and metav1.Time (second precision), both RFC 3339 (API-NOTES.md §8).
//
// Parsing accepts what Go's time.Parse(RFC3339) accepts and the API server may send: a
// fraction of 1 to 9 digits or none, "Z" or a numeric offset (T and Z in either case).
// Digits beyond microseconds are dropped (truncated, as MicroTime does). Formatting always
// writes UTC with exactly six fractional digits, as the API server does. Pure; no I/O.

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace vipd::k8s {

// A system_clock time point with microsecond resolution. Microseconds (not the clock's
// nanoseconds) so that every year 0000-9999 fits, as Go's time does.
using MicroTime = std::chrono::sys_time<std::chrono::microseconds>;

// Times outside the years 0000-9999 (UTC) are refused: Go cannot write them back.
Result<MicroTime> parse_micro_time(std::string_view text);

// Requires a time within the years 0000-9999 UTC (every parsed time and every clock reading
// is); asserted.
std::string format_micro_time(MicroTime time);

}  // namespace vipd::k8s
