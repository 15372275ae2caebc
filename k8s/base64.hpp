#pragma once
// Base64 (RFC 4648 §4, the standard alphabet with padding) as kubeconfig files use it for
// `*-data` fields. Pure.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace vipd::k8s {

// Decodes `text`, ignoring whitespace (line breaks in a pasted value). Padding is optional at
// the end; anything else outside the alphabet is an error naming its position.
Result<std::string> decode_base64(std::string_view text);

}  // namespace vipd::k8s
