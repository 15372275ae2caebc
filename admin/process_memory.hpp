#pragma once
// The process's resident memory, for the `process_resident_memory_bytes` metric.
//
// Responsible for: reading /proc/self/statm (Linux) and turning pages into bytes.
// Not responsible for: any other process statistic.
// Thread: any (reads a file; no shared state).

#include <cstdint>
#include <string_view>

#include "common/result.hpp"

namespace vipd::admin {

// Resident set size of this process in bytes.
Result<std::uint64_t> process_resident_memory_bytes();

// The resident size in bytes from the text of /proc/PID/statm ("size resident shared ...", in
// pages; proc(5)).
Result<std::uint64_t> parse_statm_resident_bytes(std::string_view statm, std::uint64_t page_size);

}  // namespace vipd::admin
