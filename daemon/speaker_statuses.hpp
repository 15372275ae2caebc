#pragma once
// The status objects `vipd speaker` keeps in the cluster, as MetalLB's speaker does: one
// ServiceBGPStatus per Service this node announces (speaker/service_status.hpp decides what
// they say), and the ConfigurationState `speaker-NODE` saying whether the configuration in
// force is valid (result Valid or Invalid, the errors in errorSummary and in a condition).
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
  // The configuration in force: valid, or the errors of the last one refused.
  void set_configuration(bool valid, std::vector<std::string> errors);
  // Nothing left to write (used to let the last deletions go out before exit).
  bool idle() const { return !writing_ && !dirty_; }
  const SpeakerStatusCounts& counts() const { return counts_; }

 private:
  void kick();
  asio::awaitable<void> write_loop();
  asio::awaitable<bool> list_held();
  asio::awaitable<bool> write_bgp_statuses();
  asio::awaitable<bool> write_configuration_state();
  asio::awaitable<bool> write_status(const std::string& name, const std::string& service,
                                     const std::vector<std::string>& peers);
  std::string collection(std::string_view kind) const;

  asio::any_io_executor executor_;
  k8s::Client& client_;
  TimerClock& clock_;
  k8s::Writer writer_;
  std::string namespace_;
  std::string node_;

  std::map<std::string, std::vector<std::string>> desired_;
  bool listed_ = false;
  std::vector<speaker::HeldStatus> held_;
  bool bgp_crd_missing_said_ = false;
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
