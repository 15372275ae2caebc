#include "common/asio_address.hpp"

#include <algorithm>

namespace vipd {

asio::ip::address to_asio(const IpAddress& address) {
  if (address.is_v4()) return asio::ip::address_v4(address.v4_value());
  const AddressBytes bytes = address.bytes();
  asio::ip::address_v6::bytes_type v6{};
  std::copy_n(bytes.data.begin(), v6.size(), v6.begin());
  return asio::ip::address_v6(v6);
}

asio::ip::tcp::endpoint to_endpoint(const IpAddress& address, std::uint16_t port) {
  return {to_asio(address), port};
}

IpAddress from_asio(const asio::ip::address& address) {
  if (address.is_v4()) return IpAddress::v4(address.to_v4().to_uint());
  const auto bytes = address.to_v6().to_bytes();
  // 16 bytes always make an IPv6 address.
  return *IpAddress::from_bytes(bytes);
}

IpAddress host_address(const asio::ip::address& address) {
  const IpAddress ip = from_asio(address);
  if (ip.is_v4_mapped()) return *ip.unmap();
  return ip;
}

}  // namespace vipd
