#pragma once
// The Lease (coordination.k8s.io/v1) for leader election, both ways: decoded from what the
// API server sends, and encoded for the elector's create (POST) and update (PUT).
// API-NOTES.md §8 gives the algorithm; this file only carries the fields. Pure; no I/O.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "k8s/micro_time.hpp"
#include "k8s/object_meta.hpp"

namespace vipd::k8s {

struct LeaseSpec {
  std::string holder_identity;  // "": released (or never held)
  std::optional<std::int32_t> lease_duration_seconds;
  std::optional<MicroTime> acquire_time;
  std::optional<MicroTime> renew_time;
  std::optional<std::int32_t> lease_transitions;
  // Coordinated leader election (newer servers): kept so an update writes them back
  // unchanged; vipd never sets them.
  std::optional<std::string> strategy;
  std::optional<std::string> preferred_holder;
  friend bool operator==(const LeaseSpec&, const LeaseSpec&) = default;
};

struct Lease {
  ObjectMeta meta;  // no annotations kept
  LeaseSpec spec;

  std::size_t size_estimate() const;  // heap bytes held; not sizeof
  friend bool operator==(const Lease&, const Lease&) = default;
};

Result<Lease> decode_lease(const boost::json::value& object);
Result<Lease> decode_lease(const boost::json::object& object);

// The spec as the API expects it: holderIdentity always (so "" releases the lease), the other
// fields when set, times as MicroTime ("2026-03-02T10:15:00.123456Z").
boost::json::object encode_lease_spec(const LeaseSpec& spec);

// A whole Lease for POST (create) or PUT (update): apiVersion, kind, metadata (name,
// namespace, resourceVersion when set: the update is conditional on it, and labels when set)
// and the spec. A PUT replaces the object: annotations (not kept by the view) are dropped, which
// suits the Lease vipd owns and no other.
boost::json::object encode_lease(const ObjectMeta& meta, const LeaseSpec& spec);

}  // namespace vipd::k8s
