#pragma once
// Controller: `vipd controller` at run time — MetalLB's controller on the Kubernetes client.
//
// Responsible for the wiring of the decisions (controller/decider.hpp, pure) to the cluster:
// informers for Services and Namespaces, the configuration from MetalLB's resources or ConfigMap
// (controller/source.hpp), leader election on a Lease (only the leader decides and writes; a
// standby keeps its informers warm and takes over within the lease duration), and the writes:
// each Service's status (the status subresource, 409-safe), the annotations vipd owns and the
// spec.externalIPs of Romana VIPs — only where the live object differs from the desired state —
// the Events, and each IPAddressPool's status counts. A leader that loses its Lease stops writing
// at once: every write first asks the lock whether it still leads.
// Not responsible for: any decision (Decider), announcing addresses (the speaker).
// Thread: one io_context thread; the Client and the TimerClock outlive the Controller.

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "admin/status.hpp"
#include "common/asio.hpp"
#include "common/timer.hpp"
#include "controller/decider.hpp"
#include "controller/source.hpp"
#include "k8s/client.hpp"
#include "k8s/event_recorder.hpp"
#include "k8s/informer.hpp"
#include "k8s/lease_lock.hpp"
#include "k8s/objects.hpp"
#include "k8s/writer.hpp"

namespace vipd::controller {

struct ControllerOptions {
  std::string namespace_ = "metallb-system";  // MetalLB's configuration and the Lease
  std::string lb_class;                       // --lb-class
  std::string identity;                       // this process, in the Lease and in Events
  std::string lease_name = "vipd-controller";
  k8s::LeaderElectionConfig election;  // identity is filled from `identity`
  k8s::ListWatchOptions list_watch;
};

// An informer, or one of the configuration's collections, as /status and /metrics show it (the
// controller's and the speaker's).
template <class T>
admin::InformerView informer_view(std::string resource, const k8s::Informer<T>& informer) {
  const auto& c = informer.counts();
  return admin::InformerView{
      std::move(resource), informer.synced(), informer.size(), c.lists,
      c.relists,           c.watch_restarts,  c.events,        informer.invalid_objects()};
}
admin::InformerView collection_view(const CollectionStatus& collection);

struct ControllerCounts {
  std::uint64_t status_writes = 0;
  std::uint64_t annotation_writes = 0;
  std::uint64_t spec_writes = 0;
  std::uint64_t pool_status_writes = 0;
  std::uint64_t write_failures = 0;
  std::uint64_t terms = 0;  // leadership terms begun
};

class Controller {
 public:
  Controller(asio::any_io_executor executor, k8s::Client& client, TimerClock& clock,
             ControllerOptions options);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  Result<void> start();
  // Stops deciding and writing, releases the Lease (bounded), stops the informers.
  asio::awaitable<void> stop();

  // Informers synced and a configuration decided: what /readyz says (leader or standby).
  bool ready() const;
  bool leading() const;
  // What /status and /metrics show (mode, configuration, services, pools, Kubernetes access).
  void fill(admin::DaemonStatus& status, const admin::StatusQuery& query) const;
  const ControllerCounts& counts() const { return counts_; }

 private:
  void begin_term();
  void end_term();
  void apply(Changes changes);
  void enqueue(const ServiceKey& key);
  asio::awaitable<void> write_loop();
  asio::awaitable<void> write_service(const ServiceKey& key);
  asio::awaitable<void> write_pools();
  void kick();
  void retry_later();
  std::string service_path(const ServiceKey& key) const;

  asio::any_io_executor executor_;
  k8s::Client& client_;
  TimerClock& clock_;
  ControllerOptions options_;
  k8s::EventRecorder events_;
  k8s::Writer writer_;
  ConfigSource source_;
  k8s::Informer<k8s::Service> services_;
  k8s::Informer<k8s::Namespace> namespaces_;
  std::unique_ptr<k8s::LeaseLock> lease_;
  std::optional<Decider> decider_;  // only while leading, once everything has synced
  bool leading_ = false;

  std::map<ServiceKey, Desired> desired_;
  std::deque<ServiceKey> queue_;
  std::set<ServiceKey> queued_;
  bool pools_dirty_ = false;
  std::map<std::string, PoolStatus> pools_written_;
  bool writing_ = false;
  // Writes that failed (403, 5xx, timeouts) are tried again after a backoff: 1 s, doubling to
  // 30 s while every round fails, back to 1 s after a round without failure.
  std::set<ServiceKey> retry_;
  bool retry_pools_ = false;
  bool round_failed_ = false;
  Clock::duration retry_backoff_{};
  std::unique_ptr<Timer> retry_timer_;
  ControllerCounts counts_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vipd::controller
