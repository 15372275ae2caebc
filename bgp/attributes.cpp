// The path attribute table (RFC 4271 §4.3 and §5, RFC 7606 §7): one row per type code with
// its flags, RFC 7606 error action, decoder and encoder. Adding an attribute = one row.
#include <algorithm>
#include <array>

#include "bgp/detail/codec_internal.hpp"

namespace vipd::bgp::detail {
namespace {

using Problem = std::optional<AttributeProblem>;

Problem length_error(const char* name, std::size_t got, const char* expected) {
  return AttributeProblem{
      update_error::kAttributeLengthError,
      std::string(name) + " has length " + std::to_string(got) + ", expected " + expected};
}

// ---- ORIGIN (1) --------------------------------------------------------------------------
Problem decode_origin(Reader r, const CodecOptions&, PathAttributes& a) {
  if (r.remaining() != 1) return length_error("ORIGIN", r.remaining(), "1");
  const std::uint8_t v = *r.u8();
  if (v > 2) {
    return AttributeProblem{update_error::kInvalidOrigin,
                            "ORIGIN value " + std::to_string(v) + " is not IGP, EGP or INCOMPLETE"};
  }
  a.origin = static_cast<Origin>(v);
  return std::nullopt;
}
void encode_origin(const PathAttributes& a, const CodecOptions&, std::vector<std::uint8_t>& out) {
  put_u8(out, static_cast<std::uint8_t>(*a.origin));
}

// ---- AS_PATH (2) and AS4_PATH (17) ------------------------------------------------------------
std::optional<std::string> decode_segments(Reader& r, std::size_t asn_size, AsPath& path) {
  while (!r.empty()) {
    const auto type = r.u8();
    const auto count = r.u8();
    if (!count) return std::string("truncated segment header");
    if (*type < 1 || *type > 4) return "unknown segment type " + std::to_string(*type);
    if (*count == 0) return std::string("empty segment");  // RFC 7606 §7.2
    if (r.remaining() < *count * asn_size) return std::string("segment runs past the end");
    AsSegment segment{static_cast<AsSegmentType>(*type), {}};
    segment.asns.reserve(*count);
    for (int i = 0; i < *count; ++i) segment.asns.push_back(asn_size == 4 ? *r.u32() : *r.u16());
    path.segments.push_back(std::move(segment));
  }
  return std::nullopt;
}

bool has_confederation(const AsPath& path) {
  return std::any_of(path.segments.begin(), path.segments.end(), [](const AsSegment& s) {
    return s.type == AsSegmentType::kConfedSequence || s.type == AsSegmentType::kConfedSet;
  });
}

Problem decode_as_path(Reader r, const CodecOptions& o, PathAttributes& a) {
  AsPath path;
  if (auto why = decode_segments(r, o.four_octet_as ? 4 : 2, path)) {
    return AttributeProblem{update_error::kMalformedAsPath, "AS_PATH: " + *why};
  }
  // RFC 5065 §5.3: confederation segments never come from outside the confederation.
  if (o.external_peer && has_confederation(path)) {
    return AttributeProblem{update_error::kMalformedAsPath,
                            "AS_PATH from an external peer holds a confederation segment"};
  }
  a.as_path = std::move(path);
  return std::nullopt;
}

void encode_segments(const AsPath& path, bool four_octet, std::vector<std::uint8_t>& out) {
  for (const auto& segment : path.segments) {
    // A segment holds at most 255 ASNs: longer ones go out as several segments of one type.
    for (std::size_t at = 0; at < segment.asns.size(); at += 255) {
      const std::size_t n = std::min<std::size_t>(255, segment.asns.size() - at);
      put_u8(out, static_cast<std::uint8_t>(segment.type));
      put_u8(out, static_cast<std::uint8_t>(n));
      for (std::size_t i = at; i < at + n; ++i) {
        const std::uint32_t asn = segment.asns[i];
        if (four_octet) {
          put_u32(out, asn);
        } else {
          put_u16(out, asn > 0xffff ? kAsTrans : static_cast<std::uint16_t>(asn));
        }
      }
    }
  }
}

void encode_as_path(const PathAttributes& a, const CodecOptions& o,
                    std::vector<std::uint8_t>& out) {
  encode_segments(*a.as_path, o.four_octet_as, out);
}

Problem decode_as4_path(Reader r, const CodecOptions& o, PathAttributes& a) {
  AsPath path;
  if (auto why = decode_segments(r, 4, path)) {
    return AttributeProblem{update_error::kOptionalAttributeError, "AS4_PATH: " + *why};
  }
  // RFC 6793 §4.1: a NEW speaker never sends AS4_PATH to a NEW speaker; discard it.
  if (o.four_octet_as) {
    return AttributeProblem{update_error::kOptionalAttributeError,
                            "AS4_PATH on a four-octet AS session"};
  }
  a.as4_path = std::move(path);
  return std::nullopt;
}
void encode_as4_path(const PathAttributes& a, const CodecOptions&, std::vector<std::uint8_t>& out) {
  encode_segments(*a.as4_path, true, out);
}

// ---- NEXT_HOP (3) --------------------------------------------------------------------------
Problem decode_next_hop(Reader r, const CodecOptions&, PathAttributes& a) {
  if (r.remaining() != 4) return length_error("NEXT_HOP", r.remaining(), "4");
  const std::uint32_t v = *r.u32();
  // RFC 4271 §6.3: a syntactically incorrect address (unspecified, broadcast, class D or E).
  if (v == 0 || v == 0xffffffff || (v >> 28) >= 0xe) {
    return AttributeProblem{
        update_error::kInvalidNextHop,
        "NEXT_HOP " + IpAddress::v4(v).to_string() + " is not a unicast address"};
  }
  a.next_hop = IpAddress::v4(v);
  return std::nullopt;
}
void encode_next_hop(const PathAttributes& a, const CodecOptions&, std::vector<std::uint8_t>& out) {
  put_u32(out, a.next_hop->is_v4() ? a.next_hop->v4_value() : 0);
}

// ---- MULTI_EXIT_DISC (4), LOCAL_PREF (5), ORIGINATOR_ID (9) ------------------------------------
template <auto Field>
Problem decode_u32(Reader r, const char* name, PathAttributes& a) {
  if (r.remaining() != 4) return length_error(name, r.remaining(), "4");
  a.*Field = *r.u32();
  return std::nullopt;
}
template <auto Field>
void encode_u32(const PathAttributes& a, const CodecOptions&, std::vector<std::uint8_t>& out) {
  put_u32(out, *(a.*Field));
}

Problem decode_med(Reader r, const CodecOptions&, PathAttributes& a) {
  return decode_u32<&PathAttributes::med>(r, "MULTI_EXIT_DISC", a);
}

Problem internal_only(const char* name) {
  // RFC 7606 §7.5, §7.9, §7.10: received from an external peer, these are discarded.
  return AttributeProblem{0, std::string(name) + " from an external peer",
                          ErrorAction::kAttributeDiscard};
}

Problem decode_local_pref(Reader r, const CodecOptions& o, PathAttributes& a) {
  if (o.external_peer) return internal_only("LOCAL_PREF");
  return decode_u32<&PathAttributes::local_pref>(r, "LOCAL_PREF", a);
}

Problem decode_originator_id(Reader r, const CodecOptions& o, PathAttributes& a) {
  if (o.external_peer) return internal_only("ORIGINATOR_ID");
  return decode_u32<&PathAttributes::originator_id>(r, "ORIGINATOR_ID", a);
}

// ---- ATOMIC_AGGREGATE (6) -------------------------------------------------------------------
Problem decode_atomic_aggregate(Reader r, const CodecOptions&, PathAttributes& a) {
  if (r.remaining() != 0) return length_error("ATOMIC_AGGREGATE", r.remaining(), "0");
  a.atomic_aggregate = true;
  return std::nullopt;
}
void encode_nothing(const PathAttributes&, const CodecOptions&, std::vector<std::uint8_t>&) {}

// ---- AGGREGATOR (7) and AS4_AGGREGATOR (18) -----------------------------------------------------
Problem decode_aggregator(Reader r, const CodecOptions& o, PathAttributes& a) {
  const std::size_t want = o.four_octet_as ? 8 : 6;
  if (r.remaining() != want) {
    return length_error("AGGREGATOR", r.remaining(), o.four_octet_as ? "8" : "6");
  }
  const std::uint32_t asn = o.four_octet_as ? *r.u32() : *r.u16();
  a.aggregator = Aggregator{asn, IpAddress::v4(*r.u32())};
  return std::nullopt;
}
void encode_aggregator(const PathAttributes& a, const CodecOptions& o,
                       std::vector<std::uint8_t>& out) {
  const auto& agg = *a.aggregator;
  if (o.four_octet_as) {
    put_u32(out, agg.asn);
  } else {
    put_u16(out, agg.asn > 0xffff ? kAsTrans : static_cast<std::uint16_t>(agg.asn));
  }
  put_u32(out, agg.address.is_v4() ? agg.address.v4_value() : 0);
}

Problem decode_as4_aggregator(Reader r, const CodecOptions& o, PathAttributes& a) {
  if (r.remaining() != 8) return length_error("AS4_AGGREGATOR", r.remaining(), "8");
  if (o.four_octet_as) {
    return AttributeProblem{update_error::kOptionalAttributeError,
                            "AS4_AGGREGATOR on a four-octet AS session"};
  }
  const std::uint32_t asn = *r.u32();
  a.as4_aggregator = Aggregator{asn, IpAddress::v4(*r.u32())};
  return std::nullopt;
}
void encode_as4_aggregator(const PathAttributes& a, const CodecOptions&,
                           std::vector<std::uint8_t>& out) {
  put_u32(out, a.as4_aggregator->asn);
  put_u32(out, a.as4_aggregator->address.is_v4() ? a.as4_aggregator->address.v4_value() : 0);
}

// ---- lists of fixed-size items: COMMUNITIES, CLUSTER_LIST, EXTENDED_COMMUNITIES, LARGE
// -----------
Problem not_multiple(const char* name, std::size_t got, std::size_t unit) {
  return AttributeProblem{update_error::kAttributeLengthError,
                          std::string(name) + " has length " + std::to_string(got) +
                              ", not a non-zero multiple of " + std::to_string(unit)};
}

Problem decode_communities(Reader r, const CodecOptions&, PathAttributes& a) {
  if (r.empty() || r.remaining() % 4 != 0) return not_multiple("COMMUNITIES", r.remaining(), 4);
  auto& list = a.communities.emplace();
  list.reserve(r.remaining() / 4);
  while (!r.empty()) list.push_back(*r.u32());
  return std::nullopt;
}
void encode_communities(const PathAttributes& a, const CodecOptions&,
                        std::vector<std::uint8_t>& out) {
  for (std::uint32_t c : *a.communities) put_u32(out, c);
}

Problem decode_cluster_list(Reader r, const CodecOptions& o, PathAttributes& a) {
  if (o.external_peer) return internal_only("CLUSTER_LIST");
  if (r.empty() || r.remaining() % 4 != 0) return not_multiple("CLUSTER_LIST", r.remaining(), 4);
  auto& list = a.cluster_list.emplace();
  while (!r.empty()) list.push_back(*r.u32());
  return std::nullopt;
}
void encode_cluster_list(const PathAttributes& a, const CodecOptions&,
                         std::vector<std::uint8_t>& out) {
  for (std::uint32_t c : *a.cluster_list) put_u32(out, c);
}

Problem decode_extended_communities(Reader r, const CodecOptions&, PathAttributes& a) {
  if (r.empty() || r.remaining() % 8 != 0) {
    return not_multiple("EXTENDED_COMMUNITIES", r.remaining(), 8);
  }
  auto& list = a.extended_communities.emplace();
  while (!r.empty()) list.push_back(ExtendedCommunity{*r.u64()});
  return std::nullopt;
}
void encode_extended_communities(const PathAttributes& a, const CodecOptions&,
                                 std::vector<std::uint8_t>& out) {
  for (const auto& c : *a.extended_communities) put_u64(out, c.value);
}

Problem decode_large_communities(Reader r, const CodecOptions&, PathAttributes& a) {
  if (r.empty() || r.remaining() % 12 != 0) {
    return not_multiple("LARGE_COMMUNITY", r.remaining(), 12);  // RFC 8092 §6
  }
  auto& list = a.large_communities.emplace();
  while (!r.empty()) {
    const std::uint32_t g = *r.u32();
    const std::uint32_t l1 = *r.u32();
    list.push_back(LargeCommunity{g, l1, *r.u32()});
  }
  return std::nullopt;
}
void encode_large_communities(const PathAttributes& a, const CodecOptions&,
                              std::vector<std::uint8_t>& out) {
  for (const auto& c : *a.large_communities) {
    put_u32(out, c.global_admin);
    put_u32(out, c.local_data1);
    put_u32(out, c.local_data2);
  }
}

// ---- MP_REACH_NLRI (14) and MP_UNREACH_NLRI (15), RFC 4760 -------------------------------------
std::optional<Family> unicast_family(AfiSafi f) {
  if (f == kIpv4Unicast) return Family::kV4;
  if (f == kIpv6Unicast) return Family::kV6;
  return std::nullopt;
}

Problem mp_problem(std::string reason) {
  return AttributeProblem{update_error::kOptionalAttributeError, std::move(reason)};
}

Problem decode_mp_reach(Reader r, const CodecOptions& o, PathAttributes& a) {
  if (r.remaining() < 5) {
    // Too short to say which family it is: RFC 7606 §7.11 leaves only a session reset.
    return AttributeProblem{update_error::kAttributeLengthError,
                            "MP_REACH_NLRI has length " + std::to_string(r.remaining()) +
                                ", too short for AFI, SAFI and next hop length",
                            ErrorAction::kSessionReset};
  }
  MpReach mp;
  mp.family.afi = *r.u16();
  mp.family.safi = *r.u8();
  const std::size_t nh_length = *r.u8();
  const auto nh = r.bytes(nh_length);
  if (!nh || !r.u8()) return mp_problem("MP_REACH_NLRI next hop runs past the end");
  const auto family = unicast_family(mp.family);
  if (!family) {
    mp.raw_next_hop.assign(nh->begin(), nh->end());
    const auto rest = r.rest();
    mp.raw_nlri.assign(rest.begin(), rest.end());
    a.mp_reach = std::move(mp);
    return std::nullopt;
  }
  // IPv4 unicast takes an IPv4 next hop, or an IPv6 one with RFC 8950; IPv6 an IPv6 one,
  // optionally followed by a link-local one (RFC 2545 §3).
  const bool v4_next_hop = nh_length == 4 && *family == Family::kV4;
  if (!v4_next_hop && nh_length != 16 && nh_length != 32) {
    return mp_problem("MP_REACH_NLRI next hop length " + std::to_string(nh_length) +
                      " is not valid for AFI " + std::to_string(mp.family.afi));
  }
  mp.next_hop = IpAddress::from_bytes(nh->subspan(0, v4_next_hop ? 4 : 16));
  if (nh_length == 32) mp.link_local_next_hop = IpAddress::from_bytes(nh->subspan(16, 16));
  if (auto why = decode_prefixes(r, *family, o.add_path(*family), mp.nlri)) {
    return mp_problem("MP_REACH_NLRI: " + *why);
  }
  a.mp_reach = std::move(mp);
  return std::nullopt;
}

void encode_mp_reach(const PathAttributes& a, const CodecOptions& o,
                     std::vector<std::uint8_t>& out) {
  const MpReach& mp = *a.mp_reach;
  put_u16(out, mp.family.afi);
  put_u8(out, mp.family.safi);
  if (!mp.next_hop) {
    put_u8(out, static_cast<std::uint8_t>(mp.raw_next_hop.size()));
    put_bytes(out, mp.raw_next_hop);
  } else {
    const auto global = mp.next_hop->bytes();
    const auto link_local =
        mp.link_local_next_hop ? mp.link_local_next_hop->bytes() : AddressBytes{};
    put_u8(out, static_cast<std::uint8_t>(global.size + link_local.size));
    put_bytes(out, global.span());
    put_bytes(out, link_local.span());
  }
  put_u8(out, 0);  // reserved
  const auto family = unicast_family(mp.family);
  if (!family) {
    put_bytes(out, mp.raw_nlri);
    return;
  }
  for (const auto& n : mp.nlri) encode_prefix(n, o.add_path(*family), out);
}

Problem decode_mp_unreach(Reader r, const CodecOptions& o, PathAttributes& a) {
  if (r.remaining() < 3) {
    return AttributeProblem{update_error::kAttributeLengthError,
                            "MP_UNREACH_NLRI has length " + std::to_string(r.remaining()) +
                                ", too short for AFI and SAFI",
                            ErrorAction::kSessionReset};
  }
  MpUnreach mp;
  mp.family.afi = *r.u16();
  mp.family.safi = *r.u8();
  const auto family = unicast_family(mp.family);
  if (!family) {
    const auto rest = r.rest();
    mp.raw_withdrawn.assign(rest.begin(), rest.end());
  } else if (auto why = decode_prefixes(r, *family, o.add_path(*family), mp.withdrawn)) {
    return mp_problem("MP_UNREACH_NLRI: " + *why);
  }
  a.mp_unreach = std::move(mp);
  return std::nullopt;
}

void encode_mp_unreach(const PathAttributes& a, const CodecOptions& o,
                       std::vector<std::uint8_t>& out) {
  const MpUnreach& mp = *a.mp_unreach;
  put_u16(out, mp.family.afi);
  put_u8(out, mp.family.safi);
  const auto family = unicast_family(mp.family);
  if (!family) {
    put_bytes(out, mp.raw_withdrawn);
    return;
  }
  for (const auto& n : mp.withdrawn) encode_prefix(n, o.add_path(*family), out);
}

template <auto Field>
bool has(const PathAttributes& a) {
  return static_cast<bool>(a.*Field);
}

constexpr std::uint8_t kWellKnown = kFlagTransitive;
constexpr std::uint8_t kOptional = kFlagOptional;
constexpr std::uint8_t kOptionalTransitive = kFlagOptional | kFlagTransitive;
using A = ErrorAction;

// RFC 7606 §7 gives each attribute its action for a malformed value.
constexpr AttributeRow kRows[] = {
    {AttrType::kOrigin, "ORIGIN", kWellKnown, A::kTreatAsWithdraw, decode_origin,
     has<&PathAttributes::origin>, encode_origin},
    {AttrType::kAsPath, "AS_PATH", kWellKnown, A::kTreatAsWithdraw, decode_as_path,
     has<&PathAttributes::as_path>, encode_as_path},
    {AttrType::kNextHop, "NEXT_HOP", kWellKnown, A::kTreatAsWithdraw, decode_next_hop,
     has<&PathAttributes::next_hop>, encode_next_hop},
    {AttrType::kMultiExitDisc, "MULTI_EXIT_DISC", kOptional, A::kTreatAsWithdraw, decode_med,
     has<&PathAttributes::med>, encode_u32<&PathAttributes::med>},
    {AttrType::kLocalPref, "LOCAL_PREF", kWellKnown, A::kTreatAsWithdraw, decode_local_pref,
     has<&PathAttributes::local_pref>, encode_u32<&PathAttributes::local_pref>},
    {AttrType::kAtomicAggregate, "ATOMIC_AGGREGATE", kWellKnown, A::kAttributeDiscard,
     decode_atomic_aggregate, has<&PathAttributes::atomic_aggregate>, encode_nothing},
    {AttrType::kAggregator, "AGGREGATOR", kOptionalTransitive, A::kAttributeDiscard,
     decode_aggregator, has<&PathAttributes::aggregator>, encode_aggregator},
    {AttrType::kCommunities, "COMMUNITIES", kOptionalTransitive, A::kTreatAsWithdraw,
     decode_communities, has<&PathAttributes::communities>, encode_communities},
    {AttrType::kOriginatorId, "ORIGINATOR_ID", kOptional, A::kTreatAsWithdraw, decode_originator_id,
     has<&PathAttributes::originator_id>, encode_u32<&PathAttributes::originator_id>},
    {AttrType::kClusterList, "CLUSTER_LIST", kOptional, A::kTreatAsWithdraw, decode_cluster_list,
     has<&PathAttributes::cluster_list>, encode_cluster_list},
    {AttrType::kMpReachNlri, "MP_REACH_NLRI", kOptional, A::kAfiSafiDisable, decode_mp_reach,
     has<&PathAttributes::mp_reach>, encode_mp_reach},
    {AttrType::kMpUnreachNlri, "MP_UNREACH_NLRI", kOptional, A::kAfiSafiDisable, decode_mp_unreach,
     has<&PathAttributes::mp_unreach>, encode_mp_unreach},
    {AttrType::kExtendedCommunities, "EXTENDED_COMMUNITIES", kOptionalTransitive,
     A::kTreatAsWithdraw, decode_extended_communities, has<&PathAttributes::extended_communities>,
     encode_extended_communities},
    // RFC 6793 §6: a malformed AS4_PATH or AS4_AGGREGATOR is discarded.
    {AttrType::kAs4Path, "AS4_PATH", kOptionalTransitive, A::kAttributeDiscard, decode_as4_path,
     has<&PathAttributes::as4_path>, encode_as4_path},
    {AttrType::kAs4Aggregator, "AS4_AGGREGATOR", kOptionalTransitive, A::kAttributeDiscard,
     decode_as4_aggregator, has<&PathAttributes::as4_aggregator>, encode_as4_aggregator},
    {AttrType::kLargeCommunity, "LARGE_COMMUNITY", kOptionalTransitive, A::kTreatAsWithdraw,
     decode_large_communities, has<&PathAttributes::large_communities>, encode_large_communities},
};

constexpr std::array<const AttributeRow*, 256> make_index() {
  std::array<const AttributeRow*, 256> index{};
  for (const auto& row : kRows) index[static_cast<std::uint8_t>(row.type)] = &row;
  return index;
}
constexpr auto kIndex = make_index();

}  // namespace

const AttributeRow* find_attribute(std::uint8_t type) { return kIndex[type]; }
std::span<const AttributeRow> attribute_rows() { return kRows; }

}  // namespace vipd::bgp::detail
