#pragma once
// The BGP speaker (bgp/speaker.hpp) and the BFD sessions guarding it (daemon/bfd_peers.hpp)
// behind the RouteReconciler's SpeakerControl interface.
// Thread: the speaker's io_context thread.

#include "bgp/speaker.hpp"
#include "daemon/bfd_peers.hpp"
#include "daemon/route_reconciler.hpp"

namespace vipd::daemon {

class BgpSpeakerControl final : public SpeakerControl {
 public:
  BgpSpeakerControl(bgp::Speaker& speaker, BfdPeers& bfd) : speaker_(speaker), bfd_(bfd) {}

  void add_peer(const bgp::PeerConfig& config) override { speaker_.add_peer(config); }
  void remove_peer(const std::string& address, const std::string& message) override {
    speaker_.remove_peer(address, message);
  }
  void set_peer_routes(const std::string& address, bgp::RouteSet routes) override {
    speaker_.set_peer_routes(address, std::move(routes));
  }
  const bgp::RouteSet* peer_routes(const std::string& address) const override {
    return speaker_.peer_routes(address);
  }
  Result<void> listen(const IpAddress& address, std::uint16_t port) override;
  bgp::AttributeInterner& interner() override { return speaker_.interner(); }
  void set_bfd(const std::string& address, const std::optional<BfdPeerSettings>& bfd) override {
    bfd_.set(address, bfd);
  }

 private:
  bgp::Speaker& speaker_;
  BfdPeers& bfd_;
};

}  // namespace vipd::daemon
