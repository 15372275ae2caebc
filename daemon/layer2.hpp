#pragma once
// Layer2Speaker: the layer-2 half of `vipd speaker` — this node's speaker Lease, every
// speaker's liveness, the election of each layer-2 VIP's owner and the VIPs this node holds.
//
// Responsible for the wiring: holding the Lease "vipd-speaker-<node>" (k8s::LeaseLock, 6 s
// duration, renewed every 2 s; released at a clean stop so the next node takes over at once);
// following every speaker's Lease (an informer) into speaker::SpeakerLiveness, with a timer
// at the next expiry; BFD with the speakers ranked next to this one (daemon/layer2_bfd.hpp),
// whose failures take a speaker out of the live set at once; electing owners (vip::elect) from the
// snapshot the BGP plan used and handing this node's VIPs to vip::VipReconciler over rtnetlink and
// raw ARP/NDP sockets; re-announcing what it holds when a speaker comes back (a healed partition
// converges); resyncing the kernel's state every 30 s; views for /status and /metrics. Not
// responsible for: the rules (vip/election.hpp, speaker/liveness.hpp), the BGP side
// (daemon/speaker.cpp), the cluster objects of the snapshot.
// Runs on the speaker's one thread.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "admin/status.hpp"
#include "bfd/transport.hpp"
#include "common/asio.hpp"
#include "common/timer.hpp"
#include "daemon/layer2_bfd.hpp"
#include "daemon/vip_owner.hpp"
#include "k8s/client.hpp"
#include "k8s/informer.hpp"
#include "k8s/lease_lock.hpp"
#include "k8s/lease_view.hpp"
#include "planner/snapshot.hpp"
#include "speaker/liveness.hpp"
#include "vip/election.hpp"

namespace vipd::daemon {

struct Layer2Options {
  std::string node;
  std::string namespace_;
  Clock::duration lease_duration = std::chrono::seconds(6);
  Clock::duration renew_deadline = std::chrono::seconds(4);
  Clock::duration retry_period = std::chrono::seconds(2);
};

class Layer2Speaker {
 public:
  // `replan`: liveness changed; the caller plans again (and calls apply()). `bfd`: the daemon's
  // BFD service, whose state changes the caller passes to on_bfd_state().
  Layer2Speaker(asio::any_io_executor executor, TimerClock& clock, k8s::Client& client,
                Layer2Options options, bfd::BfdService& bfd, std::function<void()> replan);
  ~Layer2Speaker();

  // Starts following Leases and opens netlink and the raw sockets (a failure is logged and
  // shown in /status: this node then brings no VIP up). Fails only on an invalid Lease name.
  Result<void> start();
  bool synced() const { return leases_.synced(); }

  // Elects from `snapshot` and brings this node's VIPs up, the others down; keeps BFD sessions
  // with the speakers ranked next to this node (`node_addresses`: each node's addresses).
  void apply(const planner::Snapshot& snapshot,
             const std::map<std::string, std::vector<IpAddress>>& node_addresses);
  void on_bfd_state(const IpAddress& peer, bfd::State from, bfd::State to, bfd::Diag diag) {
    bfd_.on_state(peer, from, to, diag);
  }
  // Clean stop (idempotent): every VIP down, following Leases stops, and this node's Lease is
  // released (others take over at once); stopped() once the release is answered or timed out.
  void release_all();
  bool stopped() const { return released_; }
  const k8s::Informer<k8s::Lease>& leases() const { return leases_; }

  const std::vector<vip::Decision>& decisions() const { return owner_.decisions(); }
  void fill(admin::DaemonStatus& status, const admin::StatusQuery& query) const {
    owner_.fill(status, query);
  }
  std::vector<std::string> live_speakers() const;
  std::vector<admin::SpeakerBfdView> speaker_bfd() const { return bfd_.views(); }
  netlink::Netlink* netlink() const { return owner_.netlink(); }
  // Service "namespace/name" → the interfaces its VIPs are up on, on this node (sorted).
  std::map<std::string, std::vector<std::string>> held_interfaces() const {
    return owner_.held_interfaces();
  }

 private:
  std::set<std::string, std::less<>> live_now() const;
  void liveness_changed();
  void arm_expiry();

  asio::any_io_executor executor_;
  TimerClock& clock_;
  k8s::Client& client_;
  Layer2Options options_;
  std::function<void()> replan_;
  speaker::SpeakerLiveness liveness_;
  Layer2Bfd bfd_;
  k8s::Informer<k8s::Lease> leases_;
  std::unique_ptr<k8s::LeaseLock> lease_;
  VipOwner owner_;
  std::unique_ptr<Timer> expiry_timer_;
  std::set<std::string, std::less<>> last_live_;
  bool reannounce_after_apply_ = false;  // a speaker appeared: announce after the next apply
  bool stopped_ = false;
  bool released_ = false;
};

}  // namespace vipd::daemon
