#pragma once
// The version of this build: the project version, plus `git describe` output when built from
// a git checkout (for example "0.1.0 (3f2a9c1-dirty)").

#include <string_view>

namespace vipd {
std::string_view version();
}  // namespace vipd
