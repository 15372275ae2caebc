#pragma once
// VipReconciler: makes this node hold exactly the layer-2 VIPs it owns — adds each on the right
// link through Netlink, announces it with the Announcer, deletes the ones it no longer owns —
// and keeps it so when links and addresses change under it.
//
// Responsible for:
//  - Choosing the link of a VIP: among the links the decision allows (the L2Advertisement's
//    interfaces, or any), not loopback, with a MAC and running, the one holding a subnet (an
//    address that is not a VIP) that contains the VIP; with explicit interfaces and no such
//    subnet, the first running listed link. None: the VIP is not brought up and its status
//    says why.
//  - Bringing it up: Netlink::add_vip (IPv4 /32, IPv6 /128 without DAD, marked as vipd's),
//    then Announcer::announce at once (takeover). Releasing: Announcer::stop, then
//    Netlink::delete_vip (the losing node must delete its copy: nothing else stops it from
//    answering for the VIP, DESIGN.md).
//  - Repair: a VIP deleted by someone else is added again and announced; a link that comes
//    back (running again) gets every VIP on it announced; a link that goes away or down moves
//    its VIPs to another allowed link when there is one; resync() lists everything again
//    (periodically, and after the event socket overflowed).
//  - Stale VIPs: on the first apply(), vipd-marked addresses that are not wanted (left by a
//    previous run) are deleted and the wanted ones are adopted where they are (a restart does
//    not flap an address it still owns).
//  - reannounce(): ownership re-confirmed (a peer came back, a partition healed): announce
//    every held VIP again so the LAN's neighbour caches point here.
// Not responsible for: deciding ownership (vip/election.hpp), timers (the caller calls
// resync() on its schedule), liveness.
// Single-threaded; every call and every Netlink callback on one thread. Errors never throw:
// they land in status() and are retried by the next apply() or resync().

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "netlink/announcer.hpp"
#include "netlink/netlink.hpp"

namespace vipd::vip {

struct DesiredVip {
  IpAddress address;
  std::string service;                  // namespace/name, for status and logs
  std::vector<std::string> interfaces;  // allowed links by name
  bool all_interfaces = true;           // any link (interfaces then ignored)
  friend bool operator==(const DesiredVip&, const DesiredVip&) = default;
};

enum class VipState : std::uint8_t {
  kUp,           // added and announced
  kNoInterface,  // no allowed link fits
  kFailed,       // the kernel refused (error says why); retried
};

std::string_view to_string(VipState state);  // "up", "noInterface", "failed"

struct VipStatus {
  IpAddress address;
  std::string service;
  VipState state = VipState::kFailed;
  std::string interface;  // the link it is on (kUp)
  std::string error;      // why not (kNoInterface, kFailed)
  friend bool operator==(const VipStatus&, const VipStatus&) = default;
};

class VipReconciler {
 public:
  // `log`: one line per change for a person (added, deleted, moved, failed); may be empty.
  VipReconciler(netlink::Netlink& netlink, netlink::Announcer& announcer,
                std::function<void(const std::string&)> log = {});

  // Lists links and addresses and subscribes to their changes.
  Result<void> start();

  // The VIPs this node should hold now (one per address).
  void apply(std::vector<DesiredVip> desired);
  // Announces every VIP that is up again.
  void reannounce();
  // Lists links and addresses again and repairs every difference.
  void resync();

  std::vector<VipStatus> status() const;  // by address

 private:
  struct Held {
    DesiredVip want;
    std::optional<int> link;  // where it is now (added)
    VipState state = VipState::kFailed;
    std::string error;
  };

  void refresh();
  void on_link(const netlink::LinkEvent& event);
  void on_address(const netlink::AddressEvent& event);
  // Where `want` should live now, or why nowhere.
  std::optional<int> choose_link(const DesiredVip& want, std::string& why) const;
  void place(Held& held);
  void release(const IpAddress& address, int link);
  bool usable(const netlink::Link& link) const;
  std::string link_name(int index) const;
  void say(const std::string& line) const;

  netlink::Netlink& netlink_;
  netlink::Announcer& announcer_;
  std::function<void(const std::string&)> log_;
  std::map<int, netlink::Link> links_;
  std::vector<netlink::Address> addresses_;
  std::map<IpAddress, Held> held_;
  bool first_apply_ = true;
  bool acting_ = false;  // our own change is in progress: its events only update the caches
};

}  // namespace vipd::vip
