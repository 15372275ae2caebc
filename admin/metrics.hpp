#pragma once
// Exposition: the Prometheus text format (version 0.0.4) of one scrape.
//
// Responsible for: families (`# HELP`, `# TYPE` gauge/counter) and their samples, label value
// and HELP escaping, a stable order (families by name, samples by their sorted labels), and
// number formatting that Prometheus parses exactly: integers in plain decimal, doubles as Go's
// strconv.FormatFloat(v, 'g', -1, 64), +Inf / -Inf / NaN. Also the catalogue of the metric
// names vipd exposes (DESIGN.md "Observability"), so every collector uses the same names.
// Not responsible for: collecting values (the daemon fills a fresh Exposition at each scrape
// from its modules' counters) or serving them (admin_server.hpp).
// Pure; single-threaded: one Exposition belongs to one scrape.

#include <concepts>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/uint128.hpp"

namespace vipd::admin {

enum class MetricType { kGauge, kCounter };

std::string_view to_string(MetricType type);  // "gauge" / "counter"

// A family's description; the catalogue at the end of this file lists vipd's.
struct MetricInfo {
  std::string_view name;
  MetricType type;
  std::string_view help;
};

// Label name → value, in any order (the text orders them by name).
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// One metric family: a name, its type and help, and its samples.
class MetricFamily {
 public:
  MetricFamily(std::string name, MetricType type, std::string help);

  // Adds one sample. Label names must be valid and unique within the sample, and a label set
  // may appear only once per family (two series with one identity are a collector bug).
  MetricFamily& sample(MetricLabels labels, double value);
  MetricFamily& sample(MetricLabels labels, u128 value);
  template <std::integral T>
  MetricFamily& sample(MetricLabels labels, T value) {
    if constexpr (std::is_signed_v<T>) {
      return add(std::move(labels), Value{static_cast<std::int64_t>(value)});
    } else {
      return add(std::move(labels), Value{u128{value}});
    }
  }

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  const std::string& help() const { return help_; }
  std::size_t size() const { return samples_.size(); }

  // Appends `# HELP`, `# TYPE` and the samples to `out`.
  void append_text(std::string& out) const;

 private:
  using Value = std::variant<std::int64_t, u128, double>;
  MetricFamily& add(MetricLabels labels, Value value);

  std::string name_;
  MetricType type_;
  std::string help_;
  std::map<MetricLabels, Value> samples_;  // labels sorted by name: the key is the identity
};

class Exposition {
 public:
  // The family `name`, created on first use. Asking again with the same type and help returns
  // the same family; a different type or help is a programming error (VIPD_ASSERT).
  MetricFamily& gauge(std::string name, std::string help);
  MetricFamily& counter(std::string name, std::string help);
  // The same for one of the catalogued metrics below: e.add(metric::kBgpSessionUp).
  MetricFamily& add(const MetricInfo& info);

  // The whole exposition, families ordered by name.
  std::string text() const;

 private:
  MetricFamily& family(std::string name, MetricType type, std::string help);

  std::map<std::string, MetricFamily, std::less<>> families_;
};

// Value formatting of the text format, exposed for tests and other writers.
std::string format_metric_value(double value);           // Go 'g', shortest; +Inf, -Inf, NaN
std::string escape_label_value(std::string_view value);  // \\, \", \n
std::string escape_help(std::string_view help);          // \\, \n

bool is_valid_metric_name(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_valid_label_name(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*, not "__..."

// The metrics vipd exposes: MetalLB's shapes under the `vipd_` prefix (DESIGN.md
// "Observability"). Collectors register them through `Exposition::add()` so names, types and
// help never drift between places.

namespace metric {
// Labels: peer (the peer's address, as MetalLB labels it: peer="192.0.2.1").
inline constexpr MetricInfo kBgpSessionUp{
    "vipd_bgp_session_up", MetricType::kGauge,
    "BGP session with the peer is Established (1) or not (0)"};
inline constexpr MetricInfo kBgpUpdatesTotal{"vipd_bgp_updates_total", MetricType::kCounter,
                                             "BGP UPDATE messages sent to the peer"};
inline constexpr MetricInfo kBgpRouteRefreshesAnswered{
    "vipd_bgp_route_refreshes_answered_total", MetricType::kCounter,
    "ROUTE-REFRESH requests from the peer answered by sending the family's routes again"};
inline constexpr MetricInfo kBgpAnnouncedPrefixes{"vipd_bgp_announced_prefixes_total",
                                                  MetricType::kGauge,
                                                  "Prefixes currently announced to the peer"};
// Labels: peer (the address: a BGP peer with a BFD profile, or another speaker for layer 2).
inline constexpr MetricInfo kBfdSessionUp{
    "vipd_bfd_session_up", MetricType::kGauge,
    "BFD session with the peer (a BGP peer's guard, or another speaker's layer-2 liveness) is Up "
    "(1) or not (0)"};
// Labels: ip (the VIP, as MetalLB labels it).
inline constexpr MetricInfo kLayer2GratuitousSent{
    "vipd_layer2_gratuitous_sent", MetricType::kCounter,
    "Gratuitous ARP and unsolicited neighbour advertisement frames sent for the address"};
inline constexpr MetricInfo kLayer2Owned{
    "vipd_layer2_owned_bool", MetricType::kGauge,
    "1 while this node owns the layer-2 VIP and has it up on an interface"};
// Labels: pool, family ("ipv4" / "ipv6"). IPv6 pools can exceed 2^64 addresses: the values
// are exact integers (u128), which Prometheus reads as floats.
inline constexpr MetricInfo kAllocatorAddressesTotal{
    "vipd_allocator_addresses_total", MetricType::kGauge, "Usable addresses in the pool"};
inline constexpr MetricInfo kAllocatorAddressesInUse{"vipd_allocator_addresses_in_use_total",
                                                     MetricType::kGauge,
                                                     "Addresses of the pool assigned to services"};
// Labels: service ("namespace/name"), kind ("tcp", "http", "exec"). 0 covers "failing" and
// "unknown" (no verdict yet); /status tells them apart.
inline constexpr MetricInfo kHealthCheckPassing{
    "vipd_health_check_passing", MetricType::kGauge,
    "Health check of the service passes (1) or fails or has no verdict yet (0)"};
// No labels.
inline constexpr MetricInfo kConfigStale{
    "vipd_config_stale_bool", MetricType::kGauge,
    "1 when the last configuration reload failed and an older configuration is in force"};
// Kubernetes API access (controller and speaker). Labels: verb ("GET", ..., "WATCH") and code
// (the HTTP status, or "<error>" when no answer came).
inline constexpr MetricInfo kK8sRequests{"vipd_k8s_requests_total", MetricType::kCounter,
                                         "Requests to the Kubernetes API server"};
// Labels: resource (the collection an informer follows, e.g. "services").
inline constexpr MetricInfo kK8sWatchRestarts{
    "vipd_k8s_watch_restarts_total", MetricType::kCounter,
    "Watches resumed from the last resourceVersion after the stream ended or failed"};
inline constexpr MetricInfo kK8sRelists{
    "vipd_k8s_relists_total", MetricType::kCounter,
    "Full lists after the server said the watched resourceVersion was gone (410)"};
inline constexpr MetricInfo kK8sInvalidObjects{
    "vipd_k8s_invalid_objects_total", MetricType::kCounter,
    "Objects that could not be read (their last good state was kept)"};
inline constexpr MetricInfo kK8sCachedObjects{"vipd_k8s_cached_objects", MetricType::kGauge,
                                              "Objects an informer holds"};
// `vipd controller`. No labels.
inline constexpr MetricInfo kControllerLeader{
    "vipd_controller_leader_bool", MetricType::kGauge,
    "1 while this controller holds the Lease and decides and writes; 0 on a standby"};
// Labels: object ("status", "annotations", "external_ips", "pool_status").
inline constexpr MetricInfo kControllerWrites{"vipd_controller_writes_total", MetricType::kCounter,
                                              "Objects changed in the cluster by this controller"};
inline constexpr MetricInfo kControllerWriteFailures{
    "vipd_controller_write_failures_total", MetricType::kCounter,
    "Writes the API server refused or did not answer; each is tried again after a backoff"};
inline constexpr MetricInfo kControllerWritesPending{
    "vipd_controller_writes_pending", MetricType::kGauge,
    "Services and pool sets waiting to be written, failed ones included"};
// The Prometheus process collector's name, so existing dashboards find it.
inline constexpr MetricInfo kProcessResidentMemory{
    "process_resident_memory_bytes", MetricType::kGauge, "Resident memory size in bytes"};
}  // namespace metric

}  // namespace vipd::admin
