#pragma once
// Which speakers are alive, from the Leases they renew: each `vipd speaker` holds the Lease
// "vipd-speaker-<node>" in its namespace (identity: the node's name) and renews it every few
// seconds; every speaker watches them all. The layer-2 election (vip/election.hpp) takes its
// live set from here.
//
// Responsible for: client-go's rule for a Lease held by someone else — time is the observer's
// own (no clock of another machine is read): a holder is live until lease_duration has passed
// on this node's clock since this node last saw the Lease's holder or renewTime change (a
// Lease seen for the first time counts as just renewed); a Lease whose holder is empty
// (released at a clean shutdown) or is not the node it is named after, or that was deleted,
// makes that node not live at once; when the next holder expires (for the caller's timer).
// Also: BFD verdicts between the speakers, which take a node out of the live set at once.
// Not responsible for: holding this node's own Lease (k8s::LeaseLock), Node readiness
// (conditions are in the snapshot), running BFD (daemon/layer2_bfd.hpp).
// Pure: the caller passes the time.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "k8s/lease_view.hpp"

namespace vipd::speaker {

inline constexpr std::string_view kSpeakerLeasePrefix = "vipd-speaker-";

// The node a speaker Lease name stands for; "" when the name is not a speaker Lease's.
std::string lease_node(std::string_view lease_name);

class SpeakerLiveness {
 public:
  // Lease durations that are missing or not positive count as this.
  static constexpr Clock::duration kDefaultDuration = std::chrono::seconds(6);

  // A Lease was added or updated (the informer's view), at `now`.
  void observe(const k8s::Lease& lease, Clock::time_point now);
  // A Lease was deleted.
  void forget(std::string_view lease_name);

  // BFD between the speakers (faster than Leases): `node`'s session left Up for a failure. It
  // is not live until BFD is Up with it again (bfd_up), or until its Lease has been renewed
  // twice since (once could be a renewal made before it died and seen late): it then talks to
  // Kubernetes, which ends the disagreement.
  void bfd_down(std::string_view node);
  void bfd_up(std::string_view node);
  // The nodes a BFD failure still keeps out of live().
  std::set<std::string, std::less<>> bfd_failed() const;

  // Live by its Lease and not kept out by BFD.
  std::set<std::string, std::less<>> live(Clock::time_point now) const;
  // The earliest moment a live holder stops being live, if any is live.
  std::optional<Clock::time_point> next_expiry(Clock::time_point now) const;

 private:
  struct Seen {
    std::string holder;
    std::optional<k8s::MicroTime> renew_time;
    Clock::duration duration = kDefaultDuration;
    Clock::time_point changed{};  // when holder or renewTime last changed, on our clock
    std::uint64_t changes = 0;    // how many times they changed
  };
  std::uint64_t changes(std::string_view node) const;

  std::map<std::string, Seen, std::less<>> by_node_;
  std::map<std::string, std::uint64_t, std::less<>> bfd_failed_;  // node -> changes() then
};

}  // namespace vipd::speaker
