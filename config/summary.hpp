#pragma once
// Human and machine summaries of a checked configuration: what `vipd config check` prints.
// Pure formatting (strings out); the caller writes them.

#include <string>
#include <vector>

#include "config/load.hpp"

namespace vipd::config {

// Diagnostics, one per line, then a normalised summary when valid or an error count otherwise.
std::string text_report(const CheckResult& result);
// One JSON object per file: {"file","valid","format","errors","warnings","notes","summary"}.
std::string json_report(const std::vector<CheckResult>& results);

}  // namespace vipd::config
