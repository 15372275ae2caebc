// Front end for the MetalLB ConfigMap body (MetalLB <= v0.12), also the body of the standalone
// file (standalone.cpp reads the standalone file's own keys).
#include <algorithm>

#include "config/front_ends.hpp"

namespace vipd::config::detail {

void record(Reader& r, const std::string& model_key, const MapReader& m, std::string_view field) {
  if (auto f = m.get(field)) {
    r.record(model_key, f->node, f->path);
  } else {
    r.record(model_key, m.field().node, m.field().path);
  }
}

void read_bfd_settings(Reader& r, const MapReader& m, const std::string& model_key,
                       const BfdFieldNames& names, BfdProfile& b) {
  const auto number = [&](const char* field, const char* model, std::optional<std::uint32_t>& out) {
    record(r, key(model_key, model), m, field);
    if (auto v = m.get(field)) {
      if (auto n = read_int(r, *v, 0, kU32)) out = static_cast<std::uint32_t>(*n);
    }
  };
  number(names.receive_interval, "receive_interval", b.receive_interval_ms);
  number(names.transmit_interval, "transmit_interval", b.transmit_interval_ms);
  number(names.detect_multiplier, "detect_multiplier", b.detect_multiplier);
  number(names.echo_interval, "echo_interval", b.echo_interval_ms);
  number(names.minimum_ttl, "minimum_ttl", b.minimum_ttl);
  record(r, key(model_key, "echo_mode"), m, names.echo_mode);
  if (auto v = m.get(names.echo_mode)) b.echo_mode = read_bool(r, *v).value_or(false);
  record(r, key(model_key, "passive_mode"), m, names.passive_mode);
  if (auto v = m.get(names.passive_mode)) b.passive_mode = read_bool(r, *v).value_or(false);
}

namespace {

std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

void read_peer(Reader& r, const Field& f, std::size_t index, Config& config) {
  MapReader m(r, f,
              {"peer-address", "peer-asn", "my-asn", "peer-port", "source-address", "hold-time",
               "keepalive-time", "connect-time", "router-id", "password", "bfd-profile",
               "ebgp-multihop", "node-selectors", "passive", "gtsm"});
  if (!m.is_map()) return;
  const auto mk = key("peers", config.peers.size());
  Peer p;
  // MetalLB's ConfigMap peers have no names; its converter calls them peer1, peer2, ...
  p.name = "peer" + std::to_string(index + 1);
  r.record(mk, f.node, f.path);
  for (const auto& [field, model] :
       {std::pair{"peer-address", "address"}, std::pair{"peer-asn", "peer_asn"},
        std::pair{"my-asn", "my_asn"}, std::pair{"hold-time", "hold_time"},
        std::pair{"keepalive-time", "keepalive_time"}, std::pair{"connect-time", "connect_time"},
        std::pair{"password", "password"}, std::pair{"bfd-profile", "bfd_profile"},
        std::pair{"ebgp-multihop", "ebgp_multihop"}, std::pair{"passive", "passive"},
        std::pair{"gtsm", "gtsm"}}) {
    record(r, key(mk, model), m, field);
  }
  if (auto v = m.get("peer-address")) {
    if (auto ip = read_ip(r, *v)) p.address = *ip;
  }
  if (auto v = m.get("peer-asn"))
    p.peer_asn = static_cast<std::uint32_t>(read_int(r, *v, 0, kU32).value_or(0));
  if (auto v = m.get("my-asn"))
    p.my_asn = static_cast<std::uint32_t>(read_int(r, *v, 0, kU32).value_or(0));
  if (auto v = m.get("peer-port")) {
    // 0 means the default, as in MetalLB.
    if (auto port = read_int(r, *v, 0, 65535); port && *port != 0) {
      p.port = static_cast<std::uint16_t>(*port);
    }
  }
  if (auto v = m.get("source-address")) p.source_address = read_ip(r, *v);
  // MetalLB <= v0.12 defaults the hold time of a ConfigMap peer to 90 s.
  p.hold_time = std::chrono::seconds(90);
  if (auto v = m.get("hold-time")) {
    if (auto d = read_duration(r, *v)) p.hold_time = *d;
  }
  if (auto v = m.get("keepalive-time")) p.keepalive_time = read_duration(r, *v);
  // vipd's own (BGPPeer's connectTime): the ConnectRetry time.
  if (auto v = m.get("connect-time")) p.connect_time = read_duration(r, *v);
  if (auto v = m.get("router-id")) {
    if (auto ip = read_ip(r, *v)) {
      if (!ip->is_v4()) r.error(v->node, v->path, "a BGP router ID is an IPv4 address");
      p.router_id = *ip;
    }
  }
  if (auto v = m.get("password")) p.password = read_string(r, *v).value_or("");
  if (auto v = m.get("bfd-profile")) p.bfd_profile = read_string(r, *v).value_or("");
  if (auto v = m.get("ebgp-multihop")) p.ebgp_multihop = read_bool(r, *v).value_or(false);
  if (auto v = m.get("node-selectors")) {
    p.node_selectors = read_selectors(r, *v, KeyStyle::kKebab, key(mk, "node_selectors"));
  }
  // vipd's own: passive listen and GTSM.
  if (auto v = m.get("passive")) p.passive = read_bool(r, *v).value_or(false);
  if (auto v = m.get("gtsm")) p.gtsm = read_bool(r, *v).value_or(false);
  config.peers.push_back(std::move(p));
}

// A bgp-advertisement as written: a field left out differs from one written with its default
// (MetalLB compares its raw advertisements with reflect.DeepEqual, pointers included).
struct WrittenAdvertisement {
  std::optional<int> aggregation_length;
  std::optional<int> aggregation_length_v6;
  std::optional<std::uint32_t> local_pref;
  std::optional<std::vector<std::string>> communities;
  friend bool operator==(const WrittenAdvertisement&, const WrittenAdvertisement&) = default;
};

void read_pool(Reader& r, const Field& f, Config& config, int& bgp_ads, int& l2_ads) {
  MapReader m(
      r, f,
      {"name", "protocol", "addresses", "avoid-buggy-ips", "auto-assign", "bgp-advertisements"});
  if (!m.is_map()) return;
  const auto mk = key("pools", config.pools.size());
  r.record(mk, f.node, f.path);
  record(r, key(mk, "name"), m, "name");
  Pool pool;
  if (auto v = m.get("name")) {
    pool.name = read_string(r, *v).value_or("");
    if (pool.name.empty()) r.error(v->node, v->path, "pool name must not be empty");
  } else {
    r.error(f.node, f.path, "missing pool name");
  }
  if (auto v = m.get("addresses")) {
    read_list(r, *v, [&](const Field& item, std::size_t) {
      if (auto block = read_address_block(r, item)) {
        r.record(key(key(mk, "addresses"), pool.addresses.size()), item.node, item.path);
        pool.addresses.push_back(*block);
      }
    });
  }
  if (!m.get("addresses")) r.error(f.node, f.path, "pool has no addresses");
  if (auto v = m.get("avoid-buggy-ips")) pool.avoid_buggy_ips = read_bool(r, *v).value_or(false);
  if (auto v = m.get("auto-assign")) pool.auto_assign = read_bool(r, *v).value_or(true);

  std::string protocol;
  if (auto v = m.get("protocol")) {
    protocol = read_string(r, *v).value_or("");
    if (protocol != "bgp" && protocol != "layer2") {
      const auto hint = did_you_mean(protocol, {"bgp", "layer2"});
      r.error(v->node, v->path,
              "unknown protocol " + q(protocol) + ": must be bgp or layer2" +
                  (hint.empty() ? "" : "; " + hint));
    }
  } else {
    r.error(f.node, f.path, "address pool is missing the protocol field");
  }
  const auto ads = m.get("bgp-advertisements");
  if (protocol == "layer2") {
    if (ads && ads->node.IsSequence() && ads->node.size() > 0) {
      r.error(ads->node, ads->path,
              "a layer2 address pool cannot have bgp-advertisements (they apply to protocol bgp)");
    }
    L2Advertisement ad{.name = "l2advertisement" + std::to_string(++l2_ads), .pools = {pool.name}};
    // The advertisement is the protocol written: checks on it point there.
    record(r, key("l2_advertisements", config.l2_advertisements.size()), m, "protocol");
    config.l2_advertisements.push_back(std::move(ad));
  } else if (protocol == "bgp") {
    const auto add = [&](BgpAdvertisement ad, const Node& node, const std::string& path) {
      ad.name = "bgpadvertisement" + std::to_string(++bgp_ads);
      ad.pools = {pool.name};
      r.record(key("bgp_advertisements", config.bgp_advertisements.size()), node, path);
      config.bgp_advertisements.push_back(std::move(ad));
    };
    bool any = false;
    std::vector<std::pair<WrittenAdvertisement, std::string>> written;  // with its path
    if (ads) {
      read_list(r, *ads, [&](const Field& item, std::size_t) {
        MapReader a(r, item,
                    {"aggregation-length", "aggregation-length-v6", "localpref", "communities"});
        if (!a.is_map()) return;
        any = true;
        const auto ak = key("bgp_advertisements", config.bgp_advertisements.size());
        BgpAdvertisement ad;
        record(r, key(ak, "aggregation_length"), a, "aggregation-length");
        record(r, key(ak, "aggregation_length_v6"), a, "aggregation-length-v6");
        record(r, key(ak, "local_pref"), a, "localpref");
        if (auto v = a.get("aggregation-length")) {
          ad.aggregation_length = static_cast<int>(read_int(r, *v, -1000, 1000).value_or(32));
        }
        if (auto v = a.get("aggregation-length-v6")) {
          ad.aggregation_length_v6 = static_cast<int>(read_int(r, *v, -1000, 1000).value_or(128));
        }
        if (auto v = a.get("localpref")) {
          ad.local_pref = static_cast<std::uint32_t>(read_int(r, *v, 0, kU32).value_or(0));
        }
        if (auto v = a.get("communities")) {
          read_list(r, *v, [&](const Field& c, std::size_t j) {
            if (auto s = read_string(r, c)) {
              r.record(key(key(ak, "communities"), j), c.node, c.path);
              ad.communities.push_back(*s);
            }
          });
        }
        const auto optional = [&](const char* field, auto value) {
          return a.get(field) ? std::optional(value) : std::nullopt;
        };
        WrittenAdvertisement as_written{optional("aggregation-length", ad.aggregation_length),
                                        optional("aggregation-length-v6", ad.aggregation_length_v6),
                                        optional("localpref", ad.local_pref),
                                        optional("communities", ad.communities)};
        for (const auto& [other, path] : written) {
          if (other == as_written) {
            // MetalLB <= v0.12, which reads the ConfigMap, refuses the file.
            r.error(item.node, item.path,
                    "identical to " + path +
                        "; MetalLB refuses identical advertisements in one pool: remove one");
            break;
          }
        }
        written.emplace_back(std::move(as_written), item.path);
        add(std::move(ad), item.node, item.path);
      });
    }
    // No advertisement written: one with every default (MetalLB).
    if (!any) add(BgpAdvertisement{}, f.node, f.path);
  }
  config.pools.push_back(std::move(pool));
}

void read_bfd_profile(Reader& r, const Field& f, Config& config) {
  MapReader m(r, f,
              {"name", "receive-interval", "transmit-interval", "detect-multiplier",
               "echo-interval", "echo-mode", "passive-mode", "minimum-ttl"});
  if (!m.is_map()) return;
  const auto mk = key("bfd_profiles", config.bfd_profiles.size());
  r.record(mk, f.node, f.path);
  record(r, key(mk, "name"), m, "name");
  BfdProfile b;
  if (auto v = m.get("name")) {
    b.name = read_string(r, *v).value_or("");
  } else {
    r.error(f.node, f.path, "missing BFD profile name");
  }
  read_bfd_settings(r, m, mk,
                    {"receive-interval", "transmit-interval", "detect-multiplier", "echo-interval",
                     "minimum-ttl", "echo-mode", "passive-mode"},
                    b);
  config.bfd_profiles.push_back(std::move(b));
}

void read_communities(Reader& r, const Field& f, Config& config) {
  if (!f.node.IsMap()) {
    r.error(f.node, f.path, "expected a mapping of alias names to communities");
    return;
  }
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    const auto name = read_string(r, Field{it->first, f.path});
    if (!name) continue;
    const Field value{it->second, key(f.path, *name)};
    const auto text = read_string(r, value);
    if (!text) {
      if (!it->second.IsDefined() || it->second.IsNull())
        r.error(value.node, value.path, "missing community value");
      continue;
    }
    auto c = Community::parse(*text);
    if (!c) {
      r.error(value.node, value.path, c.error().message());
      continue;
    }
    if (!config.communities.emplace(*name, c.value()).second) {
      r.error(it->first, value.path, "duplicate definition of community " + q(*name));
    }
  }
}

}  // namespace

std::optional<AddressBlock> read_address_block(Reader& r, const Field& f) {
  const auto text = read_string(r, f);
  if (!text) {
    r.error(f.node, f.path, "expected an address range, got nothing");
    return std::nullopt;
  }
  if (text->find('-') != std::string::npos) {
    auto range = IpRange::parse(*text);
    if (!range) {
      r.error(f.node, f.path, "invalid IP range " + q(*text) + ": " + range.error().message());
      return std::nullopt;
    }
    return AddressBlock{.range = range.value(), .is_cidr = false};
  }
  auto prefix = Prefix::parse(*text, Prefix::HostBits::kMask);
  if (!prefix) {
    r.error(f.node, f.path, "invalid CIDR " + q(*text) + ": " + prefix.error().message());
    return std::nullopt;
  }
  if (!Prefix::parse(*text, Prefix::HostBits::kReject)) {
    r.warning(f.node, f.path,
              q(*text) + " has host bits set; the pool holds " + prefix.value().to_string());
  }
  return AddressBlock{.range = IpRange::from_prefix(prefix.value()), .is_cidr = true};
}

void read_configmap_body(Reader& r, const Node& root, Config& config, bool standalone) {
  std::vector<std::string> keys = {"peers", "bgp-communities", "address-pools", "bfd-profiles"};
  if (standalone) keys.insert(keys.end(), kStandaloneKeys.begin(), kStandaloneKeys.end());
  MapReader m(r, Field{root, ""}, keys);
  if (standalone) config.standalone.emplace();
  if (!m.is_map()) return;
  if (auto v = m.get("bfd-profiles")) {
    read_list(r, *v, [&](const Field& item, std::size_t) { read_bfd_profile(r, item, config); });
  }
  if (auto v = m.get("bgp-communities")) read_communities(r, *v, config);
  if (auto v = m.get("peers")) {
    read_list(r, *v, [&](const Field& item, std::size_t i) { read_peer(r, item, i, config); });
  }
  int bgp_ads = 0, l2_ads = 0;
  if (auto v = m.get("address-pools")) {
    read_list(r, *v,
              [&](const Field& item, std::size_t) { read_pool(r, item, config, bgp_ads, l2_ads); });
  }
  if (standalone) read_standalone_part(r, m, config);
}

}  // namespace vipd::config::detail
