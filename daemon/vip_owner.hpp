#pragma once
// VipOwner: the layer-2 work both daemons share — elect each layer-2 VIP's owner from a
// snapshot and a live set, and make this host hold exactly the VIPs it owns (rtnetlink and raw
// ARP/NDP sockets behind vip::VipReconciler), with a periodic resync and the views /status
// shows. `vipd speaker` feeds it the speakers' Leases (daemon/layer2.hpp), `vipd standalone`
// its members' heartbeats (vip/membership_service.hpp).
//
// Responsible for: opening netlink and the announcer (a failure is logged once and shown in
// /status: this host then brings no VIP up), elect + reconcile on apply(), re-announcing on
// request, releasing everything, resync every `resync_period`, /status views and the
// interfaces per service (ServiceL2Status).
// Not responsible for: liveness (the caller's), the rules (vip/election.hpp), planning BGP.
// Runs on the daemon's one thread.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admin/status.hpp"
#include "common/asio.hpp"
#include "common/timer.hpp"
#include "netlink/announcer.hpp"
#include "netlink/netlink.hpp"
#include "planner/snapshot.hpp"
#include "vip/election.hpp"
#include "vip/reconciler.hpp"

namespace vipd::daemon {

class VipOwner {
 public:
  // `who`: the log prefix ("speaker", "standalone").
  VipOwner(asio::any_io_executor executor, TimerClock& clock, std::string who,
           Clock::duration resync_period = std::chrono::seconds(30));
  ~VipOwner();

  // Opens netlink and the announcer (once). The speaker opens at start; standalone too (host
  // addresses come from here), and layer 2 then only adds VIPs.
  void open();
  // The rtnetlink connection, once open() succeeded.
  netlink::Netlink* netlink() const { return netlink_.get(); }
  // Elects from `snapshot` as `node` with `liveness`, then brings this host's VIPs up and the
  // others down.
  void apply(const planner::Snapshot& snapshot, std::string_view node,
             const vip::Liveness& liveness);
  void reannounce();
  // Every VIP down; apply() brings them up again.
  void clear();
  // Every VIP down (idempotent); nothing is brought up afterwards.
  void release_all();

  const std::vector<vip::Decision>& decisions() const { return decisions_; }
  // The layer-2 VIPs on `query`'s page, their count and how many this node owns.
  void fill(admin::DaemonStatus& status, const admin::StatusQuery& query) const;
  // Service "namespace/name" → the interfaces its VIPs are up on here (sorted).
  std::map<std::string, std::vector<std::string>> held_interfaces() const;

 private:
  void arm_resync();

  asio::any_io_executor executor_;
  TimerClock& clock_;
  std::string who_;
  Clock::duration resync_period_;
  std::unique_ptr<netlink::Netlink> netlink_;
  std::unique_ptr<netlink::Announcer> announcer_;
  std::unique_ptr<vip::VipReconciler> vips_;
  std::string netlink_error_;  // why no VIP can be brought up on this host
  std::unique_ptr<Timer> resync_timer_;
  std::vector<vip::Decision> decisions_;
  bool released_ = false;
  bool arp_checked_ = false;  // the ARP sysctls are looked at with the first layer-2 VIP
};

}  // namespace vipd::daemon
