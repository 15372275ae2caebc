#include "common/datagram.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace vipd {
namespace {

std::optional<IpAddress> from_sockaddr(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    return IpAddress::v4(ntohl(in->sin_addr.s_addr));
  }
  if (storage.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    return IpAddress::from_bytes(std::span<const std::uint8_t>(in6->sin6_addr.s6_addr, 16));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Datagram> receive_datagram(int fd, std::span<std::uint8_t> buffer) {
  alignas(cmsghdr) std::array<char, 256> control{};
  sockaddr_storage from{};
  iovec iov{buffer.data(), buffer.size()};
  msghdr message{};
  message.msg_name = &from;
  message.msg_namelen = sizeof from;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  ssize_t n = -1;
  do {
    n = ::recvmsg(fd, &message, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return std::nullopt;
  Datagram d;
  d.size = static_cast<std::size_t>(n);
  d.source = from_sockaddr(from);
  d.truncated = (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
        (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      std::memcpy(&d.ttl, CMSG_DATA(c), sizeof d.ttl);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d.destination = IpAddress::v4(ntohl(info.ipi_addr.s_addr));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d.destination =
          IpAddress::from_bytes(std::span<const std::uint8_t>(info.ipi6_addr.s6_addr, 16));
    }
  }
  return d;
}

}  // namespace vipd
