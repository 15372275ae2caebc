#include "daemon/speaker_control.hpp"

#include "common/asio_address.hpp"

namespace vipd::daemon {

Result<void> BgpSpeakerControl::listen(const IpAddress& address, std::uint16_t port) {
  return speaker_.listen(to_endpoint(address, port));
}

}  // namespace vipd::daemon
