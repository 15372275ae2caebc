#pragma once
// One datagram read from a UDP socket with what the single-hop protocols need beside its bytes:
// the source address, the TTL / hop limit it arrived with (GTSM, RFC 5082: BFD single hop and
// the standalone members' heartbeats require 255) and the local address it was sent to. The
// socket must have IP_RECVTTL / IPV6_RECVHOPLIMIT (and IP_PKTINFO / IPV6_RECVPKTINFO for the
// destination) set.
// I/O: one recvmsg(MSG_DONTWAIT); never blocks.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/ip_address.hpp"

namespace vipd {

struct Datagram {
  std::size_t size = 0;             // bytes written to the buffer
  std::optional<IpAddress> source;  // missing: an address family vipd does not read
  int ttl = -1;                     // -1: the control message was missing
  std::optional<IpAddress> destination;
  bool truncated = false;  // the datagram or its control messages were cut short
};

// The next datagram waiting on `fd`, or nothing when none is (EAGAIN) or the socket reports an
// error (an ICMP error queued: read again at the next readiness). EINTR is retried.
std::optional<Datagram> receive_datagram(int fd, std::span<std::uint8_t> buffer);

}  // namespace vipd
