#pragma once
// Conversions between vipd's IpAddress and Asio's addresses and endpoints, in one place.
//
// Responsible for: exact conversion both ways, and the one rule about what a socket reports:
// an IPv4 host seen through a dual-stack IPv6 socket (::ffff:a.b.c.d) is that IPv4 host.
// Not responsible for: parsing or formatting (IpAddress does that), name resolution.
// Pure functions; callable from any thread.

#include <cstdint>

#include "common/asio.hpp"
#include "common/ip_address.hpp"

namespace vipd {

asio::ip::address to_asio(const IpAddress& address);
asio::ip::tcp::endpoint to_endpoint(const IpAddress& address, std::uint16_t port);

// Exact: an IPv4-mapped IPv6 address stays IPv6.
IpAddress from_asio(const asio::ip::address& address);
// The host a socket address names: an IPv4-mapped IPv6 address becomes the IPv4 address.
IpAddress host_address(const asio::ip::address& address);

}  // namespace vipd
