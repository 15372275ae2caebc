// Messages captured from real routers (gobgpd, FRR, BIRD in network namespaces; tcpdump's own
// test captures): every one decodes with the options its session negotiated, re-encodes to
// the same bytes, and the fields agree with what the routers were configured to send (.expect).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "bgp/codec.hpp"
#include "bgp/framer.hpp"
#include "bgp/negotiation.hpp"
#include "bgp/tests/test_data.hpp"

namespace vipd::bgp {
namespace {

using testing::Bytes;
using testing::CapturedMessage;

std::string host(const std::string& endpoint) {
  // "192.0.2.1:179" or "[2001:db8::1]:179".
  std::string h = endpoint.substr(0, endpoint.rfind(':'));
  if (!h.empty() && h.front() == '[') h = h.substr(1, h.size() - 2);
  return h;
}

struct Decoded {
  const CapturedMessage* captured;
  CodecOptions options;            // what the session negotiated for this direction
  std::optional<Message> message;  // nullopt: decode failed (see error)
  std::optional<DecodeError> error;
};

const CodecOptions kGuesses[] = {
    {.four_octet_as = true, .external_peer = true},
    {.four_octet_as = true, .external_peer = false},
    {.four_octet_as = false, .external_peer = true},
    {.four_octet_as = false, .external_peer = false},
    {.four_octet_as = true, .add_path_ipv4 = true, .add_path_ipv6 = true, .external_peer = true},
    {.four_octet_as = true, .add_path_ipv4 = true, .add_path_ipv6 = true, .external_peer = false},
};

// Decodes a capture: messages of one TCP connection use the options its two OPENs negotiate.
std::vector<Decoded> decode_capture(const std::vector<CapturedMessage>& messages) {
  std::map<std::string, Open> opens;  // "src > dst" → the OPEN sent that way
  std::vector<Decoded> out;
  for (const auto& m : messages) {
    Decoded d{&m, {}, std::nullopt, std::nullopt};
    if (m.type == "TRUNCATED") {
      out.push_back(d);
      continue;
    }
    CodecOptions options;
    const auto theirs = opens.find(m.source + " > " + m.destination);
    const auto ours = opens.find(m.destination + " > " + m.source);
    if (theirs != opens.end() && ours != opens.end()) {
      const bool external = theirs->second.asn() != ours->second.asn();
      options = negotiate(ours->second, theirs->second, external).receive;
    }
    auto r = decode(m.bytes, options);
    if (theirs == opens.end() || ours == opens.end()) {
      // The capture starts after the OPENs: take the first set of session facts under which
      // the message decodes cleanly (the options were negotiated, just not captured).
      for (const CodecOptions& guess : kGuesses) {
        auto attempt = decode(m.bytes, guess);
        const auto* u = attempt ? std::get_if<Update>(&attempt.value()) : nullptr;
        if (attempt && (!u || u->action == ErrorAction::kNone)) {
          r = std::move(attempt);
          options = guess;
          break;
        }
      }
    }
    d.options = options;
    if (r) {
      if (const auto* open = std::get_if<Open>(&r.value())) {
        opens[m.source + " > " + m.destination] = *open;
      }
      d.message = std::move(r.value());
    } else {
      d.error = r.error();
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<std::string> capture_files(const std::string& folder) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(testing::data_path(folder))) {
    if (e.path().extension() == ".msgs") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Captures made to carry malformed data (tcpdump's own robustness tests). bgp-addpath is a
// crafted UPDATE for tcpdump's printer: two MP_REACH_NLRI, a NEXT_HOP of length 0, MP
// attributes with well-known flags; RFC 7606 §3g answers it with a session reset (asserted in
// TcpdumpAddPathCaptureIsASessionReset).
bool meant_to_be_malformed(const std::string& path) {
  for (const char* name : {"oobr", "malformed", "infinite-loop", "bgp-addpath"}) {
    if (path.find(name) != std::string::npos) return true;
  }
  return false;
}

// Decoded messages re-encode to the captured bytes, except where RFC 4271 makes the encoder
// differ on purpose (an unrecognised transitive attribute gains the Partial bit).
bool reencodes_exactly(const Message& m) {
  const auto* u = std::get_if<Update>(&m);
  if (!u) return true;
  if (u->action != ErrorAction::kNone) return false;
  for (const auto& raw : u->attributes.unknown) {
    if ((raw.flags & kFlagTransitive) && !(raw.flags & kFlagPartial)) return false;
  }
  return true;
}

// Returns how many messages were re-encoded and compared byte for byte.
int check_capture(const std::string& path, bool malformed_allowed) {
  SCOPED_TRACE(path);
  const auto messages = testing::load_messages(path);
  EXPECT_FALSE(messages.empty());
  const auto decoded = decode_capture(messages);
  int compared = 0;
  for (const auto& d : decoded) {
    const auto& m = *d.captured;
    SCOPED_TRACE("message " + std::to_string(m.seq) + " " + m.type);
    if (m.type == "TRUNCATED") {
      // A stream cut short: the framer must hold it, or reject it as a header error.
      Framer framer(kMaxExtendedMessageSize);
      framer.feed(m.bytes);
      auto next = framer.next();
      if (next) {
        EXPECT_FALSE(next.value().has_value() && next.value()->size() == m.bytes.size());
      }
      continue;
    }
    EXPECT_EQ(m.bytes.size(), m.length);
    if (!d.message) {
      EXPECT_TRUE(malformed_allowed)
          << error_name(d.error->code, d.error->subcode) << ": " << d.error->reason;
      continue;
    }
    EXPECT_EQ(message_type_name(static_cast<std::uint8_t>(type_of(*d.message))), m.type);
    if (const auto* u = std::get_if<Update>(&*d.message); u && !malformed_allowed) {
      // At most an ignored attribute (a NEXT_HOP beside IPv6-only NLRI, say): never a route lost.
      EXPECT_LE(u->action, ErrorAction::kAttributeDiscard)
          << (u->issues.empty() ? "" : u->issues[0].reason);
    }
    if (reencodes_exactly(*d.message)) {
      Bytes again;
      EXPECT_TRUE(encode(*d.message, d.options, again));
      EXPECT_EQ(testing::to_hex(again), testing::to_hex(m.bytes));
      ++compared;
    }
  }
  return compared;
}

TEST(Captures, TcpdumpCapturesDecodeAndReencode) {
  const auto files = capture_files("tcpdump");
  EXPECT_GE(files.size(), 18u);
  int compared = 0;
  for (const auto& f : files) compared += check_capture(f, meant_to_be_malformed(f));
  EXPECT_GE(compared, 40);
}

TEST(Captures, TcpdumpAddPathCaptureIsASessionReset) {
  const auto m = testing::load_messages(testing::data_path("tcpdump/bgp-addpath.msgs"));
  ASSERT_EQ(m.size(), 1u);
  auto r =
      decode(m[0].bytes,
             CodecOptions{.four_octet_as = true, .add_path_ipv4 = true, .add_path_ipv6 = true});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 3);
  EXPECT_EQ(r.error().subcode, update_error::kMalformedAttributeList);
}

TEST(Captures, RealRouterCapturesDecodeAndReencode) {
  const auto files = capture_files("real");
  EXPECT_GE(files.size(), 4u);
  int compared = 0;
  for (const auto& f : files) compared += check_capture(f, false);
  EXPECT_GE(compared, 100);
}

TEST(Captures, ExabgpEncodingsDecodeAndReencode) {
  int count = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(testing::data_path("exabgp-qa/encoding"))) {
    SCOPED_TRACE(e.path().string());
    for (const auto& bytes : testing::load_exabgp_raw(e.path().string())) {
      // ExaBGP's tests run iBGP sessions, with four-octet ASNs unless the file says otherwise.
      const bool two_octet = e.path().filename() == "conf-no-asn4.ci";
      const bool ebgp = e.path().filename() == "conf-ebgp.ci";
      const CodecOptions options{.four_octet_as = !two_octet, .external_peer = ebgp};
      auto m = decode(bytes, options);
      ASSERT_TRUE(m) << m.error().reason;
      const auto* u = std::get_if<Update>(&m.value());
      ASSERT_NE(u, nullptr);
      EXPECT_EQ(u->action, ErrorAction::kNone) << (u->issues.empty() ? "" : u->issues[0].reason);
      Bytes again;
      ASSERT_TRUE(encode(m.value(), options, again));
      EXPECT_EQ(testing::to_hex(again), testing::to_hex(bytes));
      ++count;
    }
  }
  EXPECT_EQ(count, 35);  // every :raw: line of the eight files
}

// ---- field checks against the routers' configuration (.expect) ---------------------------------

std::string first_word(const std::string& value) { return value.substr(0, value.find(' ')); }

std::uint32_t community(const std::string& text) {
  if (text == "no-export") return 0xffffff01;
  if (text == "no-advertise") return 0xffffff02;
  if (text == "no-export-subconfed") return 0xffffff03;
  if (text == "graceful-shutdown") return 0xffff0000;
  const auto colon = text.find(':');
  return (static_cast<std::uint32_t>(std::stoul(text.substr(0, colon))) << 16) |
         static_cast<std::uint32_t>(std::stoul(text.substr(colon + 1)));
}

std::vector<std::uint32_t> asns(const std::string& text) {
  std::vector<std::uint32_t> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word && word[0] != '(') out.push_back(static_cast<std::uint32_t>(std::stoul(word)));
  return out;
}

std::vector<std::uint32_t> flatten(const AsPath& path) {
  std::vector<std::uint32_t> out;
  for (const auto& s : path.segments) out.insert(out.end(), s.asns.begin(), s.asns.end());
  return out;
}

bool has_prefix(const std::vector<Nlri>& list, const std::string& prefix) {
  return std::any_of(list.begin(), list.end(),
                     [&](const Nlri& n) { return n.prefix.to_string() == prefix; });
}

AfiSafi family(const std::string& text) {
  return first_word(text).rfind("ipv6", 0) == 0 ? kIpv6Unicast : kIpv4Unicast;
}

class ExpectChecker {
 public:
  ExpectChecker(const std::string& msgs, const std::string& expect)
      : messages_(testing::load_messages(msgs)),
        decoded_(decode_capture(messages_)),
        expect_(testing::load_expect(expect)) {
    for (const auto& [key, value] : expect_) {
      if (key.rfind("speaker.", 0) == 0 && key.ends_with(".address")) {
        address_.emplace(key.substr(8, key.size() - 8 - 8), value);
      }
    }
  }

  int run() {
    int checked = 0;
    std::map<std::string, std::map<std::string, std::vector<std::string>>> routes;
    for (const auto& [key, value] : expect_) {
      SCOPED_TRACE(key + ": " + value);
      if (key.rfind("speaker.", 0) == 0) {
        const auto dot = key.find('.', 8);
        checked += check_speaker(key.substr(8, dot - 8), key.substr(dot + 1), value);
      } else if (key.rfind("route.", 0) == 0) {
        const auto dot = key.find('.', 6);
        routes[key.substr(6, dot - 6)][key.substr(dot + 1)].push_back(value);
      } else if (key.rfind("notification", 0) == 0) {
        continue;  // grouped below
      } else if (key == "route_refresh.from") {
        checked += check_route_refresh(value);
      } else if (key == "end_of_rib") {
        for (const auto& [name, address] : address_) {
          EXPECT_TRUE(sent_end_of_rib(address)) << name;
          ++checked;
        }
      }
    }
    for (const auto& [id, fields] : routes) checked += check_route(id, fields);
    checked += check_notifications();
    return checked;
  }

 private:
  bool is_speaker(const std::string& speaker, const std::string& address) const {
    const auto [begin, end] = address_.equal_range(speaker);
    return std::any_of(begin, end, [&](const auto& kv) { return kv.second == address; });
  }

  // Calls f for every decoded T sent by `speaker` (or, with `others`, by anyone else).
  template <class T, class F>
  void each_from(const std::string& speaker, F&& f, bool others = false) const {
    EXPECT_TRUE(address_.count(speaker)) << "no address for " << speaker;
    for (const auto& d : decoded_) {
      if (!d.message || is_speaker(speaker, host(d.captured->source)) == others) continue;
      if (const auto* m = std::get_if<T>(&*d.message)) f(*m);
    }
  }

  const Open* first_open(const std::string& speaker) const {
    const Open* found = nullptr;
    each_from<Open>(speaker, [&](const Open& o) {
      if (!found) found = &o;
    });
    return found;
  }

  int check_speaker(const std::string& speaker, const std::string& field, const std::string& v) {
    const Open* open = first_open(speaker);
    if (field == "address" || field == "cluster_id" || field == "four_octet_as" ||
        field == "extended_next_hop") {
      return 0;  // identity or free text
    }
    if (!open) {
      ADD_FAILURE() << "no OPEN from " << speaker;
      return 0;
    }
    if (field == "asn") {
      EXPECT_EQ(open->asn(), std::stoul(v));
    } else if (field == "open.my_as") {
      EXPECT_EQ(open->my_as, std::stoul(v));
    } else if (field == "router_id") {
      EXPECT_EQ(IpAddress::v4(open->bgp_identifier).to_string(), first_word(v));
    } else if (field == "hold") {
      EXPECT_EQ(open->hold_time, std::stoul(v));
    } else if (field == "afi_safi") {
      const AfiSafi f = family(v);
      EXPECT_TRUE(
          std::any_of(open->capabilities.begin(), open->capabilities.end(),
                      [&](const Capability& c) { return c.code == 1 && c.multiprotocol == f; }));
    } else if (field == "graceful_restart") {
      EXPECT_NE(open->find(CapabilityCode::kGracefulRestart), nullptr);
    } else if (field == "graceful_restart.time") {
      const auto* gr = open->find(CapabilityCode::kGracefulRestart);
      EXPECT_NE(gr, nullptr);
      if (gr) {
        EXPECT_EQ(gr->restart_time, std::stoul(v));
      }
    } else if (field == "add_path") {
      const auto* ap = open->find(CapabilityCode::kAddPath);
      if (!ap) {
        ADD_FAILURE() << "no add-path capability";
        return 0;
      }
      // What was configured must be offered; a router may offer more (FRR offers both).
      const bool receive = v.find("receive") != std::string::npos;
      const bool send = v.find("send") != std::string::npos;
      EXPECT_TRUE(std::any_of(ap->add_path.begin(), ap->add_path.end(), [&](const auto& f) {
        return f.family == family(v) && (f.receive || !receive) && (f.send || !send);
      }));
    } else {
      ADD_FAILURE() << "unknown speaker field " << field;
      return 0;
    }
    return 1;
  }

#define REQUIRE(x)                     \
  if (!(x)) {                          \
    ADD_FAILURE() << #x " is missing"; \
    continue;                          \
  }

  int check_route(const std::string& id, std::map<std::string, std::vector<std::string>> fields) {
    SCOPED_TRACE("route." + id);
    const std::string speaker = first_word(fields["from"].at(0));
    // "(reflected ...)": the copy under test is the one a route reflector passed on.
    const bool reflected = fields["from"].at(0).find("reflected") != std::string::npos;
    const std::string prefix = fields["prefix"].at(0);
    int checked = 0;
    if (fields.count("withdrawn")) {
      bool withdrawn = false;
      each_from<Update>(
          speaker,
          [&](const Update& u) {
            withdrawn =
                withdrawn || has_prefix(u.withdrawn, prefix) ||
                (u.attributes.mp_unreach && has_prefix(u.attributes.mp_unreach->withdrawn, prefix));
          },
          reflected);
      EXPECT_TRUE(withdrawn) << prefix << " never withdrawn by " << speaker;
      ++checked;
    }
    const Update* found = nullptr;
    each_from<Update>(
        speaker,
        [&](const Update& u) {
          if (found) return;
          if (has_prefix(u.nlri, prefix) ||
              (u.attributes.mp_reach && has_prefix(u.attributes.mp_reach->nlri, prefix))) {
            found = &u;
          }
        },
        reflected);
    if (!found) {
      ADD_FAILURE() << prefix << " never announced by " << speaker;
      return checked;
    }
    const PathAttributes& a = found->attributes;
    for (const auto& [field, values] : fields) {
      for (const auto& v : values) {
        SCOPED_TRACE(field + ": " + v);
        ++checked;
        if (field == "from" || field == "prefix" || field == "withdrawn") {
          --checked;
        } else if (field == "origin") {
          const char* names[] = {"igp", "egp", "incomplete"};
          REQUIRE(a.origin);
          EXPECT_EQ(names[static_cast<int>(*a.origin)], first_word(v));
        } else if (field == "as_path") {
          REQUIRE(a.as_path);
          EXPECT_EQ(flatten(*a.as_path), asns(v));
        } else if (field == "as4_path") {
          REQUIRE(a.as4_path);
          EXPECT_EQ(flatten(*a.as4_path), asns(v));
        } else if (field == "next_hop") {
          const std::string hop = a.next_hop ? a.next_hop->to_string()
                                  : a.mp_reach && a.mp_reach->next_hop
                                      ? a.mp_reach->next_hop->to_string()
                                      : "";
          EXPECT_EQ(hop, first_word(v));
        } else if (field == "med") {
          EXPECT_EQ(a.med, std::stoul(v));
        } else if (field == "local_pref") {
          EXPECT_EQ(a.local_pref, std::stoul(v));
        } else if (field == "community") {
          REQUIRE(a.communities);
          const auto c = community(first_word(v));
          EXPECT_NE(std::find(a.communities->begin(), a.communities->end(), c),
                    a.communities->end());
        } else if (field == "large_community") {
          REQUIRE(a.large_communities);
          std::string spaced = first_word(v);
          std::replace(spaced.begin(), spaced.end(), ':', ' ');
          const auto parts = asns(spaced);
          EXPECT_NE(std::find(a.large_communities->begin(), a.large_communities->end(),
                              LargeCommunity{parts.at(0), parts.at(1), parts.at(2)}),
                    a.large_communities->end());
        } else if (field == "ext_community") {
          REQUIRE(a.extended_communities);
          EXPECT_TRUE(has_extended(*a.extended_communities, v));
        } else if (field == "aggregator" || field == "as4_aggregator") {
          const auto& agg = field == "aggregator" ? a.aggregator : a.as4_aggregator;
          REQUIRE(agg);
          std::istringstream in(v);
          std::uint32_t asn;
          std::string address;
          in >> asn >> address;
          EXPECT_EQ(agg->asn, asn);
          EXPECT_EQ(agg->address.to_string(), address);
        } else if (field == "originator_id") {
          REQUIRE(a.originator_id);
          EXPECT_EQ(IpAddress::v4(*a.originator_id).to_string(), first_word(v));
        } else if (field == "cluster_list") {
          REQUIRE(a.cluster_list);
          EXPECT_EQ(IpAddress::v4(a.cluster_list->at(0)).to_string(), first_word(v));
        } else {
          --checked;  // "(reflected copy)" notes and other commentary
        }
      }
    }
    return checked;
  }

#undef REQUIRE

  static bool has_extended(const std::vector<ExtendedCommunity>& list, const std::string& v) {
    std::istringstream in(v);
    std::string kind, what;
    in >> kind >> what;
    for (const auto& c : list) {
      if (kind == "rt" && c.subtype() == 0x02) {
        const auto colon = what.find(':');
        const std::string admin = what.substr(0, colon);
        const auto local = std::stoul(what.substr(colon + 1));
        if (admin.find('.') != std::string::npos) {
          if (c.type() == 0x01 &&
              IpAddress::v4(static_cast<std::uint32_t>(c.value >> 16)).to_string() == admin &&
              (c.value & 0xffff) == local) {
            return true;
          }
        } else if (c.type() == 0x00 && ((c.value >> 32) & 0xffff) == std::stoul(admin) &&
                   (c.value & 0xffffffff) == local) {
          return true;
        }
      }
      if (kind == "link-bandwidth" && c.is_link_bandwidth()) {
        std::string rate;
        in >> rate;
        const double bits = std::stod(rate) * (rate.find("Gbit") != std::string::npos ? 1e9 : 1e6);
        // A four-octet AS does not fit the community: routers put AS_TRANS there.
        const auto asn = std::stoul(what);
        const bool asn_ok =
            c.link_bandwidth_asn() == asn || (asn > 0xffff && c.link_bandwidth_asn() == kAsTrans);
        if (asn_ok && c.link_bandwidth_bytes_per_second() == static_cast<float>(bits / 8)) {
          return true;
        }
      }
    }
    return false;
  }

  int check_route_refresh(const std::string& v) {
    const std::string speaker = first_word(v);
    const AfiSafi f = family(v.substr(v.find(' ') + 1));
    bool seen = false;
    each_from<RouteRefresh>(speaker, [&](const RouteRefresh& rr) {
      seen = seen || (rr.afi == f.afi && rr.safi == f.safi);
    });
    EXPECT_TRUE(seen);
    return 1;
  }

  bool sent_end_of_rib(const std::string& address) const {
    for (const auto& d : decoded_) {
      if (!d.message || host(d.captured->source) != address) continue;
      if (const auto* u = std::get_if<Update>(&*d.message); u && u->end_of_rib()) return true;
    }
    return false;
  }

  int check_notifications() {
    // "notification.*" (one) or "notification.N.*" (several): each must have been sent.
    std::map<std::string, std::map<std::string, std::string>> wanted;
    for (const auto& [key, value] : expect_) {
      if (key.rfind("notification.", 0) != 0) continue;
      const std::string rest = key.substr(13);
      const auto dot = rest.find('.');
      const bool numbered = dot != std::string::npos && std::isdigit(rest[0]);
      wanted[numbered ? rest.substr(0, dot) : "0"][numbered ? rest.substr(dot + 1) : rest] = value;
    }
    int checked = 0;
    for (const auto& [n, fields] : wanted) {
      SCOPED_TRACE("notification " + n);
      const auto from = fields.find("from");
      if (from == fields.end()) continue;
      bool seen = false;
      each_from<Notification>(first_word(from->second), [&](const Notification& note) {
        if (fields.count("code") && note.code != std::stoul(fields.at("code"))) return;
        if (fields.count("subcode") && note.subcode != std::stoul(fields.at("subcode"))) return;
        if (fields.count("shutdown_communication") &&
            note.shutdown_message != fields.at("shutdown_communication")) {
          return;
        }
        if (fields.count("data") && testing::to_hex(note.data) != first_word(fields.at("data"))) {
          return;
        }
        seen = true;
      });
      EXPECT_TRUE(seen) << "no matching NOTIFICATION from " << from->second;
      ++checked;
    }
    return checked;
  }

  std::vector<CapturedMessage> messages_;
  std::vector<Decoded> decoded_;
  std::multimap<std::string, std::string> expect_;
  std::multimap<std::string, std::string> address_;
};

TEST(Captures, RealRouterFieldsMatchTheirConfiguration) {
  for (const auto& msgs : capture_files("real")) {
    SCOPED_TRACE(msgs);
    const std::string expect = msgs.substr(0, msgs.size() - 5) + ".expect";
    ASSERT_TRUE(std::filesystem::exists(expect));
    ExpectChecker checker(msgs, expect);
    EXPECT_GT(checker.run(), 3);
  }
}

}  // namespace
}  // namespace vipd::bgp
