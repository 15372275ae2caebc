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
// Not responsible for: holding this node's own Lease (k8s::LeaseLock), Node readiness
// (conditions are in the snapshot), BFD (faster, later, behind the same live set).
// Pure: the caller passes the time.

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

  std::set<std::string, std::less<>> live(Clock::time_point now) const;
  // The earliest moment a live holder stops being live, if any is live.
  std::optional<Clock::time_point> next_expiry(Clock::time_point now) const;

 private:
  struct Seen {
    std::string holder;
    std::optional<k8s::MicroTime> renew_time;
    Clock::duration duration = kDefaultDuration;
    Clock::time_point changed{};  // when holder or renewTime last changed, on our clock
  };
  std::map<std::string, Seen, std::less<>> by_node_;
};

}  // namespace vipd::speaker
