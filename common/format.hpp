#pragma once
// fmt formatters for the address types, so logs and messages can say fmt::format("{}", ip).

#include <fmt/format.h>

#include "common/ip_address.hpp"
#include "common/prefix.hpp"

template <>
struct fmt::formatter<vipd::IpAddress> : fmt::formatter<std::string_view> {
  auto format(const vipd::IpAddress& a, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(a.to_string(), ctx);
  }
};

template <>
struct fmt::formatter<vipd::Prefix> : fmt::formatter<std::string_view> {
  auto format(const vipd::Prefix& p, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(p.to_string(), ctx);
  }
};

template <>
struct fmt::formatter<vipd::IpRange> : fmt::formatter<std::string_view> {
  auto format(const vipd::IpRange& r, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(r.to_string(), ctx);
  }
};
