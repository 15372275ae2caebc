#pragma once
// The status objects `vipd speaker` keeps in the cluster, as MetalLB's speaker does: one
// ServiceBGPStatus per Service this node announces over BGP (status.peers: the peer names), one
// ServiceL2Status per Service whose layer-2 VIP this node holds (status.interfaces: the links),
// both decided by speaker/service_status.hpp, and the ConfigurationState `speaker-NODE` saying
// whether the configuration in force is valid (result Valid or Invalid, the errors in
// errorSummary and in a condition).
//
// Responsible for: finding this node's objects at start (label metallb.io/node) and removing
// duplicates and leftovers, creating, updating and deleting them as the announcements change,
// one writer coroutine, refused writes tried again with backoff (1 s doubling to 30 s), and a
// cluster without the CRDs (404): said once, asked again every 30 s, nothing else lost.
// Not responsible for: what is announced (the speaker's plan).
// Thread: one io_context thread; the Client and the TimerClock outlive it.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/timer.hpp"
#include "k8s/client.hpp"
#include "k8s/writer.hpp"
#include "speaker/service_status.hpp"

namespace vipd::daemon {

struct SpeakerStatusCounts {
  std::uint64_t created = 0;
  std::uint64_t updated = 0;
  std::uint64_t deleted = 0;
  std::uint64_t failures = 0;
};

class SpeakerStatuses {
 public:
  SpeakerStatuses(asio::any_io_executor executor, k8s::Client& client, TimerClock& clock,
                  std::string ns, std::string node);
  ~SpeakerStatuses();
  SpeakerStatuses(const SpeakerStatuses&) = delete;
  SpeakerStatuses& operator=(const SpeakerStatuses&) = delete;

  // Service "namespace/name" → the peers it is announced to from this node.
  void set_announced(std::map<std::string, std::vector<std::string>> peers);
  // Service "namespace/name" → the interfaces its layer-2 VIPs are on, on this node.
  void set_layer2(std::map<std::string, std::vector<std::string>> interfaces);
  // The configuration in force: valid, or the errors of the last one refused.
  void set_configuration(bool valid, std::vector<std::string> errors);
  // Nothing left to write (used to let the last deletions go out before exit).
  bool idle() const { return !writing_ && !dirty_; }
  const SpeakerStatusCounts& counts() const { return counts_; }

 private:
  void kick();
  asio::awaitable<void> write_loop();
  // One kind of per-Service status object and what is known of this node's objects.
  struct Objects {
    std::string_view resource;  // "servicebgpstatuses"
    std::string_view kind;      // "ServiceBGPStatus"
    std::string_view prefix;    // generateName: "bgp-"
    bool layer2 = false;        // status.interfaces [{name}] instead of status.peers [name]
    std::map<std::string, std::vector<std::string>> desired;
    bool listed = false;
    std::vector<speaker::HeldStatus> held;
    bool crd_missing_said = false;
  };
  asio::awaitable<bool> list_held(Objects& objects);
  asio::awaitable<bool> write_statuses(Objects& objects);
  asio::awaitable<bool> write_configuration_state();
  asio::awaitable<bool> write_status(Objects& objects, const std::string& name,
                                     const std::string& service,
                                     const std::vector<std::string>& values);
  std::string collection(std::string_view kind) const;

  asio::any_io_executor executor_;
  k8s::Client& client_;
  TimerClock& clock_;
  k8s::Writer writer_;
  std::string namespace_;
  std::string node_;

  Objects bgp_{.resource = "servicebgpstatuses", .kind = "ServiceBGPStatus", .prefix = "bgp-"};
  Objects l2_{
      .resource = "servicel2statuses", .kind = "ServiceL2Status", .prefix = "l2-", .layer2 = true};
  bool state_crd_missing_said_ = false;

  std::optional<std::pair<bool, std::vector<std::string>>> configuration_;
  std::optional<std::pair<bool, std::vector<std::string>>> configuration_written_;

  bool dirty_ = false;
  bool writing_ = false;
  Clock::duration backoff_{};
  std::unique_ptr<Timer> retry_;
  SpeakerStatusCounts counts_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vipd::daemon
