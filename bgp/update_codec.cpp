// UPDATE (RFC 4271 §4.3) with RFC 7606 revised error handling.
#include <algorithm>
#include <bitset>

#include "common/assert.hpp"

#include "bgp/detail/codec_internal.hpp"

namespace vipd::bgp::detail {
namespace {

void note(Update& update, std::uint8_t type, std::uint8_t subcode, ErrorAction action,
          std::string reason) {
  update.issues.push_back(AttributeIssue{type, subcode, action, std::move(reason)});
  update.action = std::max(update.action, action);
}

std::string hex_byte(std::uint8_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {'0', 'x', kDigits[v >> 4], kDigits[v & 0xf]};
}

// RFC 4271 §6.3: the NOTIFICATION data of an attribute error is the attribute (type, length and
// value), except for a Malformed Attribute List and a Malformed AS_PATH, which carry none.
std::vector<std::uint8_t> attribute_data(std::uint8_t subcode,
                                         std::span<const std::uint8_t> whole) {
  if (subcode == update_error::kMalformedAttributeList ||
      subcode == update_error::kMalformedAsPath) {
    return {};
  }
  return {whole.begin(), whole.end()};
}

// Clears an attribute that failed to decode halfway, so no partial value survives.
void clear(PathAttributes& a, AttrType type) {
  switch (type) {
    case AttrType::kOrigin:
      a.origin.reset();
      break;
    case AttrType::kAsPath:
      a.as_path.reset();
      break;
    case AttrType::kNextHop:
      a.next_hop.reset();
      break;
    case AttrType::kMultiExitDisc:
      a.med.reset();
      break;
    case AttrType::kLocalPref:
      a.local_pref.reset();
      break;
    case AttrType::kAtomicAggregate:
      a.atomic_aggregate = false;
      break;
    case AttrType::kAggregator:
      a.aggregator.reset();
      break;
    case AttrType::kCommunities:
      a.communities.reset();
      break;
    case AttrType::kOriginatorId:
      a.originator_id.reset();
      break;
    case AttrType::kClusterList:
      a.cluster_list.reset();
      break;
    case AttrType::kMpReachNlri:
      a.mp_reach.reset();
      break;
    case AttrType::kMpUnreachNlri:
      a.mp_unreach.reset();
      break;
    case AttrType::kExtendedCommunities:
      a.extended_communities.reset();
      break;
    case AttrType::kAs4Path:
      a.as4_path.reset();
      break;
    case AttrType::kAs4Aggregator:
      a.as4_aggregator.reset();
      break;
    case AttrType::kLargeCommunity:
      a.large_communities.reset();
      break;
  }
}

}  // namespace

DecodeResult<Update> decode_update(Reader body, std::size_t body_offset,
                                   const CodecOptions& options) {
  Update update;
  const std::size_t message_length = body.remaining() + kHeaderSize;

  // Withdrawn routes and total attribute length must fit (RFC 4271 §6.3).
  const std::size_t withdrawn_length = *body.u16();
  const auto withdrawn = body.bytes(withdrawn_length);
  const auto attributes_length = withdrawn ? body.u16() : std::nullopt;
  const auto attributes = attributes_length ? body.bytes(*attributes_length) : std::nullopt;
  if (!attributes) {
    return make_error(
        3, update_error::kMalformedAttributeList, body_offset,
        "withdrawn routes length " + std::to_string(withdrawn_length) +
            (attributes_length ? " plus attribute length " + std::to_string(*attributes_length)
                               : std::string()) +
            " exceed the message length " + std::to_string(message_length));
  }
  {
    Reader r(*withdrawn);
    if (auto why = decode_prefixes(r, Family::kV4, options.add_path_ipv4, update.withdrawn)) {
      // RFC 7606 §5.3: malformed prefixes cannot be trusted at all: session reset.
      return make_error(3, update_error::kInvalidNetworkField, body_offset + 2,
                        "withdrawn routes: " + *why);
    }
  }
  const std::size_t attributes_offset = body_offset + 4 + withdrawn_length;
  const std::size_t nlri_offset = attributes_offset + *attributes_length;
  {
    Reader r(body.rest());
    if (auto why = decode_prefixes(r, Family::kV4, options.add_path_ipv4, update.nlri)) {
      return make_error(3, update_error::kInvalidNetworkField, nlri_offset, "NLRI: " + *why);
    }
  }

  // RFC 7606 §5.2: the NOTIFICATION of the first of the most severe errors, should the UPDATE
  // turn out to need a session reset after all.
  std::optional<DecodeError> reset;
  const auto problem = [&](std::uint8_t type, std::uint8_t subcode, ErrorAction action,
                           std::size_t at, std::string reason, std::vector<std::uint8_t> data) {
    if (action > ErrorAction::kAttributeDiscard && (!reset || action > reset->action)) {
      reset = make_error(3, subcode, at, reason, std::move(data));
      reset->action = action;
    }
    note(update, type, subcode, action, std::move(reason));
  };
  bool other_attributes = false;     // any attribute but MP_UNREACH_NLRI
  bool unreadable_mp_reach = false;  // an MP_REACH_NLRI whose routes could not be read

  // Path attributes, one table row each.
  std::bitset<256> seen;
  bool canonical = true;
  int previous_type = -1;
  Reader attrs(*attributes);
  while (!attrs.empty()) {
    const std::size_t start = attrs.offset();
    const std::size_t at = attributes_offset + start;
    const auto flags = attrs.u8();
    const auto type = attrs.u8();
    std::optional<std::size_t> length;
    if (flags && type) {
      if (*flags & kFlagExtendedLength) {
        if (auto l = attrs.u16()) length = *l;
      } else if (auto l = attrs.u8()) {
        length = *l;
      }
    }
    const auto value = length ? attrs.bytes(*length) : std::nullopt;
    if (type != static_cast<std::uint8_t>(AttrType::kMpUnreachNlri)) other_attributes = true;
    if (!value) {
      // RFC 7606 §4: an attribute that overruns the attribute block makes the rest unreadable.
      // The NLRI field can still be located, so the UPDATE is treated as withdraw; without
      // reachable routes known by then, §5.2 below makes it a session reset.
      problem(
          type ? *type : 0, update_error::kMalformedAttributeList, ErrorAction::kTreatAsWithdraw,
          at,
          "attribute at offset " + std::to_string(at) + " runs past the end of the path attributes",
          {});
      break;
    }
    const auto whole = attributes->subspan(start, attrs.offset() - start);
    update.layout.order.push_back(*type);
    if (*flags & kFlagExtendedLength) update.layout.extended_length.set(*type);
    if ((*flags & kFlagPartial) && find_attribute(*type)) {  // unknown ones keep raw flags
      update.layout.partial.set(*type);
      canonical = false;
    }
    if (static_cast<int>(*type) <= previous_type ||
        ((*flags & kFlagExtendedLength) && *length <= 255)) {
      canonical = false;
    }
    previous_type = *type;

    const AttributeRow* row = find_attribute(*type);
    if (seen.test(*type)) {
      // RFC 7606 §3g: a repeated MP attribute is fatal; any other repeat is discarded.
      if (row && (row->type == AttrType::kMpReachNlri || row->type == AttrType::kMpUnreachNlri)) {
        return make_error(3, update_error::kMalformedAttributeList, at,
                          std::string(row->name) + " appears more than once");
      }
      note(update, *type, update_error::kMalformedAttributeList, ErrorAction::kAttributeDiscard,
           "attribute " + std::to_string(*type) + " appears more than once");
      continue;
    }
    seen.set(*type);

    if (!row) {
      if (!(*flags & kFlagOptional)) {
        return make_error(3, update_error::kUnrecognizedWellKnownAttribute, at,
                          "unrecognized well-known attribute " + std::to_string(*type),
                          attribute_data(update_error::kUnrecognizedWellKnownAttribute, whole));
      }
      // RFC 4271 §5: unknown optional transitive attributes travel on (with Partial set when
      // re-sent); unknown optional non-transitive ones are quietly ignored.
      if (*flags & kFlagTransitive) {
        update.attributes.unknown.push_back(
            RawAttribute{static_cast<std::uint8_t>(*flags & ~kFlagExtendedLength), *type,
                         std::vector<std::uint8_t>(value->begin(), value->end())});
      }
      continue;
    }

    // RFC 4271 §6.3 / RFC 7606 §3c: wrong Optional/Transitive bits make the attribute malformed;
    // so does Partial on anything but an optional transitive attribute.
    const std::uint8_t kinds = *flags & (kFlagOptional | kFlagTransitive);
    const bool partial_ok = row->flags == (kFlagOptional | kFlagTransitive);
    if (kinds != row->flags || ((*flags & kFlagPartial) && !partial_ok)) {
      problem(*type, update_error::kAttributeFlagsError, row->on_error, at,
              std::string(row->name) + " has wrong flags " + hex_byte(*flags),
              attribute_data(update_error::kAttributeFlagsError, whole));
      if (row->type == AttrType::kMpReachNlri) unreadable_mp_reach = true;
      clear(update.attributes, row->type);
      continue;
    }
    if (auto bad = row->decode(Reader(*value), options, update.attributes)) {
      ErrorAction action = bad->action.value_or(row->on_error);
      // RFC 4760 §3: without IPv4 NLRI the NEXT_HOP attribute is ignored, so a bad one only
      // costs the attribute.
      if (row->type == AttrType::kNextHop && update.nlri.empty()) {
        action = ErrorAction::kAttributeDiscard;
      }
      if (action == ErrorAction::kSessionReset) {
        return make_error(3, bad->subcode, at, bad->reason, attribute_data(bad->subcode, whole));
      }
      if (row->type == AttrType::kMpReachNlri) unreadable_mp_reach = true;
      problem(*type, bad->subcode, action, at, bad->reason, attribute_data(bad->subcode, whole));
      clear(update.attributes, row->type);
    }
  }
  if (canonical) update.layout = {};

  // RFC 7606 §5.2: "if an UPDATE message is encountered that does contain path attributes
  // other than MP_UNREACH_NLRI and doesn't encode any reachable NLRI, we cannot be confident
  // that the NLRI have been correctly identified and recorded. For this reason, if any path
  // attribute errors are encountered in such an UPDATE message and if any encountered error
  // specifies an error-handling approach other than "attribute discard", then the "session
  // reset" approach MUST be used." The NOTIFICATION is the one the error itself names. An
  // MP_REACH_NLRI that could not be read may have held routes: its family is disabled instead.
  const bool reachable =
      !update.nlri.empty() ||
      (update.attributes.mp_reach && !update.attributes.mp_reach->nlri.empty()) ||
      unreadable_mp_reach;
  if (!reachable && other_attributes && update.action > ErrorAction::kAttributeDiscard) {
    VIPD_ASSERT(reset.has_value(), "an error worse than attribute discard was recorded");
    reset->action = ErrorAction::kSessionReset;
    reset->reason += " (RFC 7606 §5.2: no reachable NLRI, so no treat-as-withdraw)";
    return *reset;
  }

  // RFC 7606 §3d: an UPDATE that announces routes needs ORIGIN and AS_PATH, and NEXT_HOP for
  // IPv4 NLRI in the NLRI field; a missing one makes it a withdrawal.
  const auto& a = update.attributes;
  const bool announces = !update.nlri.empty() || (a.mp_reach && !a.mp_reach->nlri.empty());
  if (announces && update.action < ErrorAction::kTreatAsWithdraw) {
    const auto missing = [&](AttrType t, const char* name) {
      note(update, static_cast<std::uint8_t>(t), update_error::kMissingWellKnownAttribute,
           ErrorAction::kTreatAsWithdraw, std::string("missing well-known attribute ") + name);
    };
    if (!a.origin && !seen.test(1)) missing(AttrType::kOrigin, "ORIGIN");
    if (!a.as_path && !seen.test(2)) missing(AttrType::kAsPath, "AS_PATH");
    if (!update.nlri.empty() && !a.next_hop && !seen.test(3))
      missing(AttrType::kNextHop, "NEXT_HOP");
  }
  return update;
}

void encode_update_body(const Update& update, const CodecOptions& options,
                        std::vector<std::uint8_t>& out) {
  const std::size_t withdrawn_at = out.size();
  put_u16(out, 0);
  for (const auto& n : update.withdrawn) encode_prefix(n, options.add_path_ipv4, out);
  patch_u16(out, withdrawn_at, static_cast<std::uint16_t>(out.size() - withdrawn_at - 2));

  const std::size_t attributes_at = out.size();
  put_u16(out, 0);
  const auto& a = update.attributes;
  const auto write = [&](std::uint8_t flags, std::uint8_t type, auto&& value) {
    const bool forced_extended = update.layout.extended_length.test(type);
    put_u8(out, flags | kFlagExtendedLength);
    put_u8(out, type);
    const std::size_t length_at = out.size();
    put_u16(out, 0);
    value();
    const std::size_t length = out.size() - length_at - 2;
    if (length > 255 || forced_extended) {
      patch_u16(out, length_at, static_cast<std::uint16_t>(length));
      return;
    }
    out[length_at - 2] = flags;  // one-octet length: drop the extended-length bit and octet
    out[length_at] = static_cast<std::uint8_t>(length);
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(length_at) + 1);
  };
  const auto write_type = [&](std::uint8_t type) {
    if (const AttributeRow* row = find_attribute(type)) {
      const std::uint8_t partial = update.layout.partial.test(type) ? kFlagPartial : 0;
      if (row->present(a)) {
        write(row->flags | partial, type, [&] { row->encode(a, options, out); });
      }
      return;
    }
    for (const auto& raw : a.unknown) {
      if (raw.type != type) continue;
      const std::uint8_t flags =
          static_cast<std::uint8_t>((raw.flags & (kFlagOptional | kFlagTransitive | kFlagPartial)) |
                                    ((raw.flags & kFlagTransitive) ? kFlagPartial : 0));
      write(flags, type, [&] { put_bytes(out, raw.value); });
    }
  };
  // The sender's order when re-encoding a decoded message, else ascending type code.
  std::bitset<256> written;
  for (std::uint8_t type : update.layout.order) {
    if (written.test(type)) continue;
    written.set(type);
    write_type(type);
  }
  std::vector<std::uint8_t> unknown_types;
  for (const auto& raw : a.unknown) unknown_types.push_back(raw.type);
  std::sort(unknown_types.begin(), unknown_types.end());
  auto next_unknown = unknown_types.begin();
  for (const AttributeRow& row : attribute_rows()) {
    const auto type = static_cast<std::uint8_t>(row.type);
    for (; next_unknown != unknown_types.end() && *next_unknown < type; ++next_unknown) {
      if (!written.test(*next_unknown)) write_type(*next_unknown);
      written.set(*next_unknown);
    }
    if (!written.test(type)) write_type(type);
  }
  for (; next_unknown != unknown_types.end(); ++next_unknown) {
    if (!written.test(*next_unknown)) write_type(*next_unknown);
    written.set(*next_unknown);
  }
  patch_u16(out, attributes_at, static_cast<std::uint16_t>(out.size() - attributes_at - 2));

  for (const auto& n : update.nlri) encode_prefix(n, options.add_path_ipv4, out);
}

}  // namespace vipd::bgp::detail
