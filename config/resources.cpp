// Front end for MetalLB resources (metallb.io/v1beta1 and v1beta2) as YAML documents.
#include <algorithm>

#include "config/front_ends.hpp"

namespace vipd::config::detail {
namespace {

std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

constexpr std::int64_t kI32 = 2147483647;

// Kubernetes ObjectMeta fields; vipd reads name, namespace and labels.
const std::vector<std::string> kMetadataKeys = {"name",
                                                "namespace",
                                                "labels",
                                                "annotations",
                                                "uid",
                                                "resourceVersion",
                                                "generation",
                                                "creationTimestamp",
                                                "generateName",
                                                "finalizers",
                                                "ownerReferences",
                                                "managedFields",
                                                "selfLink",
                                                "deletionTimestamp",
                                                "deletionGracePeriodSeconds"};

struct Object {
  std::string kind;
  std::string version;  // v1beta1 or v1beta2
  std::string name;
  Labels labels;
  std::map<std::string, Field, std::less<>> vipd_annotations;  // vipd.io/ ones, known for the kind
  std::string prefix;  // "IPAddressPool(example)": the start of every path in this object
  Node node;
};

std::vector<std::string> read_names(Reader& r, const MapReader& m, std::string_view field,
                                    const std::string& model_key) {
  std::vector<std::string> out;
  if (auto v = m.get(field)) {
    read_list(r, *v, [&](const Field& item, std::size_t) {
      if (auto s = read_string(r, item)) {
        r.record(key(model_key, out.size()), item.node, item.path);
        out.push_back(*s);
      }
    });
  }
  return out;
}

std::vector<LabelSelector> selectors(Reader& r, const MapReader& m, std::string_view field,
                                     const std::string& model_key = {}) {
  if (auto v = m.get(field)) return read_selectors(r, *v, KeyStyle::kCamel, model_key);
  return {};
}

// vipd's own settings on a MetalLB object, as annotations (the CRDs have no field for them).
struct VipdAnnotation {
  const char* kind;
  const char* name;
  bool Peer::*field;
  const char* model;  // the model field, for origins
};
constexpr VipdAnnotation kVipdAnnotations[] = {
    {"BGPPeer", "vipd.io/passive", &Peer::passive, "passive"},
    {"BGPPeer", "vipd.io/gtsm", &Peer::gtsm, "gtsm"},
};
constexpr std::string_view kVipdPrefix = "vipd.io/";

// The object's vipd.io/ annotations: the ones known for its kind are kept for its reader; any
// other is an error, so a misspelt one is never ignored. Other annotations are not vipd's.
void read_annotations(Reader& r, const Field& f, Object& o) {
  if (!f.node.IsMap()) {
    r.error(f.node, f.path, "expected a mapping of annotations");
    return;
  }
  std::vector<std::string> known;
  std::string listed;  // "vipd.io/passive (BGPPeer), ..."
  for (const auto& a : kVipdAnnotations) {
    known.emplace_back(a.name);
    listed += (listed.empty() ? "" : ", ") + std::string(a.name) + " (" + a.kind + ")";
  }
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar().rfind(kVipdPrefix, 0) != 0) continue;
    const auto& name = it->first.Scalar();
    const Field value{it->second, key(f.path, name)};
    const bool ok = std::any_of(std::begin(kVipdAnnotations), std::end(kVipdAnnotations),
                                [&](const auto& a) { return o.kind == a.kind && name == a.name; });
    if (ok && (!it->second.IsDefined() || it->second.IsNull())) {
      r.error(it->first, value.path, q(name) + " has no value: write \"true\" or \"false\"");
      continue;
    }
    if (ok) {
      o.vipd_annotations.emplace(name, value);
      continue;
    }
    const auto hint = did_you_mean(name, known);
    r.error(it->first, value.path,
            "unknown annotation " + q(name) + " for kind " + o.kind + ": vipd reads " + listed +
                (hint.empty() ? "" : "; " + hint));
  }
}

void read_pool(Reader& r, const Object& o, const Field& spec, Config& config) {
  MapReader m(r, spec, {"addresses", "autoAssign", "avoidBuggyIPs", "serviceAllocation"});
  const auto mk = key("pools", config.pools.size());
  r.record(mk, o.node, o.prefix);
  r.record(key(mk, "name"), o.node, o.prefix);
  Pool pool{.name = o.name, .labels = o.labels};
  if (auto v = m.get("addresses")) {
    read_list(r, *v, [&](const Field& item, std::size_t) {
      if (auto block = read_address_block(r, item)) {
        r.record(key(key(mk, "addresses"), pool.addresses.size()), item.node, item.path);
        pool.addresses.push_back(*block);
      }
    });
  } else {
    r.error(spec.node, spec.path, "missing required field \"addresses\"");
  }
  if (auto v = m.get("autoAssign")) pool.auto_assign = read_bool(r, *v).value_or(true);
  if (auto v = m.get("avoidBuggyIPs")) pool.avoid_buggy_ips = read_bool(r, *v).value_or(false);
  if (auto v = m.get("serviceAllocation")) {
    MapReader s(r, *v, {"priority", "namespaces", "namespaceSelectors", "serviceSelectors"});
    ServiceAllocation a;
    if (auto p = s.get("priority"))
      a.priority = static_cast<int>(read_int(r, *p, -kI32 - 1, kI32).value_or(0));
    a.namespaces = read_names(r, s, "namespaces", key(key(mk, "service_allocation"), "namespaces"));
    record(r, key(key(mk, "service_allocation"), "namespace_selectors"), s, "namespaceSelectors");
    a.namespace_selectors = selectors(r, s, "namespaceSelectors");
    a.service_selectors = selectors(r, s, "serviceSelectors");
    pool.service_allocation = std::move(a);
  }
  config.pools.push_back(std::move(pool));
}

void read_bgp_advertisement(Reader& r, const Object& o, const Field& spec, Config& config) {
  MapReader m(r, spec,
              {"aggregationLength", "aggregationLengthV6", "communities", "ipAddressPoolSelectors",
               "ipAddressPools", "localPref", "nodeSelectors", "peers", "serviceSelectors"});
  const auto mk = key("bgp_advertisements", config.bgp_advertisements.size());
  r.record(mk, o.node, o.prefix);
  r.record(key(mk, "name"), o.node, o.prefix);
  BgpAdvertisement a{.name = o.name};
  record(r, key(mk, "aggregation_length"), m, "aggregationLength");
  record(r, key(mk, "aggregation_length_v6"), m, "aggregationLengthV6");
  record(r, key(mk, "local_pref"), m, "localPref");
  // The CRD: aggregationLength minimum 1; both int32.
  if (auto v = m.get("aggregationLength")) {
    a.aggregation_length = static_cast<int>(read_int(r, *v, 1, kI32).value_or(32));
  }
  if (auto v = m.get("aggregationLengthV6")) {
    a.aggregation_length_v6 = static_cast<int>(read_int(r, *v, -kI32 - 1, kI32).value_or(128));
  }
  if (auto v = m.get("localPref")) {
    a.local_pref = static_cast<std::uint32_t>(read_int(r, *v, 0, kU32).value_or(0));
  }
  a.communities = read_names(r, m, "communities", key(mk, "communities"));
  a.pools = read_names(r, m, "ipAddressPools", key(mk, "pools"));
  a.pool_selectors = selectors(r, m, "ipAddressPoolSelectors");
  a.node_selectors = selectors(r, m, "nodeSelectors", key(mk, "node_selectors"));
  a.peers = read_names(r, m, "peers", key(mk, "peers"));
  a.service_selectors = selectors(r, m, "serviceSelectors");
  config.bgp_advertisements.push_back(std::move(a));
}

void read_l2_advertisement(Reader& r, const Object& o, const Field& spec, Config& config) {
  MapReader m(r, spec,
              {"interfaces", "ipAddressPoolSelectors", "ipAddressPools", "nodeSelectors",
               "preferredNodeSelectors", "serviceSelectors"});
  const auto mk = key("l2_advertisements", config.l2_advertisements.size());
  r.record(mk, o.node, o.prefix);
  r.record(key(mk, "name"), o.node, o.prefix);
  L2Advertisement a{.name = o.name};
  a.interfaces = read_names(r, m, "interfaces", key(mk, "interfaces"));
  a.pools = read_names(r, m, "ipAddressPools", key(mk, "pools"));
  a.pool_selectors = selectors(r, m, "ipAddressPoolSelectors");
  a.node_selectors = selectors(r, m, "nodeSelectors", key(mk, "node_selectors"));
  a.service_selectors = selectors(r, m, "serviceSelectors");
  if (auto v = m.get("preferredNodeSelectors")) {
    read_list(r, *v, [&](const Field& item, std::size_t) {
      MapReader p(r, item, {"preference", "weight"});
      if (!p.is_map()) return;
      PreferredNodeSelector s;
      if (auto w = p.get("weight")) {
        s.weight = static_cast<int>(read_int(r, *w, 1, 100).value_or(1));
      } else {
        p.require("weight");
      }
      if (auto pref = p.get("preference")) {
        if (auto sel = read_selector(r, *pref, KeyStyle::kCamel)) s.preference = std::move(*sel);
      } else {
        p.require("preference");
      }
      a.preferred_node_selectors.push_back(std::move(s));
    });
  }
  config.l2_advertisements.push_back(std::move(a));
}

void read_community(Reader& r, const Object& o, const Field& spec, Config& config) {
  MapReader m(r, spec, {"communities"});
  if (auto v = m.get("communities")) {
    read_list(r, *v, [&](const Field& item, std::size_t) {
      MapReader c(r, item, {"name", "value"});
      if (!c.is_map()) return;
      const auto name = c.get("name") ? read_string(r, *c.get("name")) : std::nullopt;
      const auto value = c.get("value") ? read_string(r, *c.get("value")) : std::nullopt;
      if (!c.get("name")) c.require("name");
      if (!c.get("value")) c.require("value");
      if (!name || !value) return;
      auto parsed = Community::parse(*value);
      if (!parsed) {
        r.error(c.get("value")->node, c.get("value")->path, parsed.error().message());
        return;
      }
      if (!config.communities.emplace(*name, parsed.value()).second) {
        r.error(c.get("name")->node, c.get("name")->path,
                "duplicate definition of community " + q(*name));
      }
    });
  }
  (void)o;
}

void read_bfd_profile(Reader& r, const Object& o, const Field& spec, Config& config) {
  MapReader m(r, spec,
              {"detectMultiplier", "echoInterval", "echoMode", "minimumTtl", "passiveMode",
               "receiveInterval", "transmitInterval"});
  const auto mk = key("bfd_profiles", config.bfd_profiles.size());
  r.record(mk, o.node, o.prefix);
  r.record(key(mk, "name"), o.node, o.prefix);
  BfdProfile b{.name = o.name};
  read_bfd_settings(r, m, mk,
                    {"receiveInterval", "transmitInterval", "detectMultiplier", "echoInterval",
                     "minimumTtl", "echoMode", "passiveMode"},
                    b);
  config.bfd_profiles.push_back(std::move(b));
}

void read_peer(Reader& r, const Object& o, const Field& spec, Config& config) {
  std::vector<std::string> keys = {"bfdProfile",  "ebgpMultiHop",  "holdTime", "keepaliveTime",
                                   "myASN",       "nodeSelectors", "password", "peerASN",
                                   "peerAddress", "peerPort",      "routerID", "sourceAddress"};
  const bool v2 = o.version == "v1beta2";
  if (v2) {
    for (const char* k :
         {"connectTime", "disableMP", "dualStackAddressFamily", "dynamicASN",
          "enableGracefulRestart", "interface", "localASN", "passwordSecret", "vrf"}) {
      keys.push_back(k);
    }
  }
  MapReader m(r, spec, keys);
  const auto mk = key("peers", config.peers.size());
  r.record(mk, o.node, o.prefix);
  r.record(key(mk, "name"), o.node, o.prefix);
  for (const auto& [field, model] :
       {std::pair{"peerAddress", "address"}, std::pair{"peerASN", "peer_asn"},
        std::pair{"myASN", "my_asn"}, std::pair{"holdTime", "hold_time"},
        std::pair{"keepaliveTime", "keepalive_time"}, std::pair{"connectTime", "connect_time"},
        std::pair{"password", "password"}, std::pair{"passwordSecret", "password_secret"},
        std::pair{"bfdProfile", "bfd_profile"}, std::pair{"ebgpMultiHop", "ebgp_multihop"},
        std::pair{"dynamicASN", "dynamic_asn"}, std::pair{"interface", "interface"},
        std::pair{"vrf", "vrf"}, std::pair{"localASN", "local_asn"},
        std::pair{"disableMP", "disable_mp"}}) {
    record(r, key(mk, model), m, field);
  }
  Peer p{.name = o.name};
  if (!m.get("myASN")) m.require("myASN");
  if (auto v = m.get("myASN"))
    p.my_asn = static_cast<std::uint32_t>(read_int(r, *v, 0, kU32).value_or(0));
  if (auto v = m.get("peerASN"))
    p.peer_asn = static_cast<std::uint32_t>(read_int(r, *v, 0, kU32).value_or(0));
  if (auto v = m.get("peerAddress")) p.address = read_ip(r, *v);
  if (auto v = m.get("peerPort")) {
    // The CRD bounds the port to 0..16384 (v1beta1) and 1..16384 (v1beta2).
    if (auto port = read_int(r, *v, v2 ? 1 : 0, 16384); port && *port != 0) {
      p.port = static_cast<std::uint16_t>(*port);
    }
  }
  if (auto v = m.get("sourceAddress")) p.source_address = read_ip(r, *v);
  if (auto v = m.get("holdTime")) p.hold_time = read_duration(r, *v);
  if (auto v = m.get("keepaliveTime")) p.keepalive_time = read_duration(r, *v);
  if (auto v = m.get("connectTime")) p.connect_time = read_duration(r, *v);
  if (auto v = m.get("routerID")) {
    if (auto ip = read_ip(r, *v)) {
      if (!ip->is_v4()) r.error(v->node, v->path, "a BGP router ID is an IPv4 address");
      p.router_id = *ip;
    }
  }
  if (auto v = m.get("password")) p.password = read_string(r, *v).value_or("");
  if (auto v = m.get("passwordSecret")) {
    MapReader s(r, *v, {"name", "namespace"});
    if (auto n = s.get("name")) p.password_secret = read_string(r, *n).value_or("");
    if (auto n = s.get("namespace")) p.password_secret_namespace = read_string(r, *n).value_or("");
  }
  if (auto v = m.get("bfdProfile")) p.bfd_profile = read_string(r, *v).value_or("");
  if (auto v = m.get("ebgpMultiHop")) p.ebgp_multihop = read_bool(r, *v).value_or(false);
  if (auto v = m.get("enableGracefulRestart"))
    p.graceful_restart = read_bool(r, *v).value_or(false);
  if (auto v = m.get("dualStackAddressFamily")) {
    p.dual_stack_address_family = read_bool(r, *v).value_or(false);
  }
  if (auto v = m.get("disableMP")) {
    p.disable_mp = read_bool(r, *v).value_or(false);
    r.warning(v->node, v->path, "disableMP is deprecated; use dualStackAddressFamily");
  }
  if (auto v = m.get("localASN"))
    p.local_asn = static_cast<std::uint32_t>(read_int(r, *v, 1, kU32).value_or(0));
  if (auto v = m.get("dynamicASN")) {
    const auto text = read_string(r, *v).value_or("");
    if (text == "internal") {
      p.dynamic_asn = DynamicAsn::kInternal;
    } else if (text == "external") {
      p.dynamic_asn = DynamicAsn::kExternal;
    } else {
      r.error(v->node, v->path, "invalid dynamicASN " + q(text) + ": must be internal or external");
    }
  }
  if (auto v = m.get("interface")) p.interface = read_string(r, *v).value_or("");
  if (auto v = m.get("vrf")) {
    p.vrf = read_string(r, *v).value_or("");
    if (p.vrf.find_first_of("\r\n") != std::string::npos) {
      r.error(v->node, v->path, "VRF name contains a line break");
    }
  }
  p.node_selectors = selectors(r, m, "nodeSelectors", key(mk, "node_selectors"));
  for (const auto& a : kVipdAnnotations) {
    const auto it = o.vipd_annotations.find(a.name);
    if (it == o.vipd_annotations.end()) {
      r.record(key(mk, a.model), o.node, o.prefix);
      continue;
    }
    const auto& f = it->second;
    r.record(key(mk, a.model), f.node, f.path);
    // Annotation values are text: "true" or "false".
    const auto text = read_string(r, f);
    if (text == "true" || text == "false") {
      p.*a.field = *text == "true";
    } else if (text) {
      r.error(f.node, f.path,
              "invalid value " + q(*text) + " for " + a.name + ": write \"true\" or \"false\"");
    }
  }
  config.peers.push_back(std::move(p));
}

using KindReader = void (*)(Reader&, const Object&, const Field&, Config&);

struct Kind {
  const char* name;
  KindReader read;
  bool v1beta2;  // served as metallb.io/v1beta2 (else v1beta1 only)
};

constexpr Kind kKinds[] = {
    {"IPAddressPool", read_pool, false},
    {"BGPAdvertisement", read_bgp_advertisement, false},
    {"L2Advertisement", read_l2_advertisement, false},
    {"Community", read_community, false},
    {"BFDProfile", read_bfd_profile, false},
    {"BGPPeer", read_peer, true},
};

// MetalLB kinds that report state rather than configure anything.
constexpr const char* kStatusKinds[] = {"ConfigurationState", "ServiceL2Status",
                                        "ServiceBGPStatus"};

}  // namespace

bool is_kubernetes_object(const Node& document) {
  if (!document.IsMap()) return false;
  for (auto it = document.begin(); it != document.end(); ++it) {
    if (it->first.IsScalar() &&
        (it->first.Scalar() == "apiVersion" || it->first.Scalar() == "kind")) {
      return true;
    }
  }
  return false;
}

void read_resource(Reader& r, const Node& document, std::size_t index, Config& config) {
  const std::string doc_path = "documents[" + std::to_string(index) + "]";
  if (!document.IsMap()) {
    r.error(document, doc_path,
            "expected a Kubernetes object (a mapping with apiVersion and kind)");
    return;
  }
  // Read the type first: which keys are allowed depends on it.
  std::string api_version, kind;
  Node kind_node, version_node, metadata, spec;
  for (auto it = document.begin(); it != document.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const auto& k = it->first.Scalar();
    if (k == "apiVersion") version_node = it->second;
    if (k == "kind") kind_node = it->second;
  }
  if (version_node.IsDefined())
    api_version = read_string(r, {version_node, doc_path + ".apiVersion"}).value_or("");
  if (kind_node.IsDefined()) kind = read_string(r, {kind_node, doc_path + ".kind"}).value_or("");
  const auto slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  const std::string version =
      slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  if (group != "metallb.io") {
    r.note(document, doc_path,
           "ignored " + (kind.empty() ? std::string("object") : kind) +
               (api_version.empty() ? "" : " (" + api_version + ")") +
               ": not MetalLB configuration");
    return;
  }
  if (std::any_of(std::begin(kStatusKinds), std::end(kStatusKinds),
                  [&](const char* k) { return kind == k; })) {
    r.note(document, doc_path, "ignored " + kind + ": it reports state, it configures nothing");
    return;
  }
  const Kind* known = nullptr;
  for (const auto& k : kKinds) {
    if (kind == k.name) known = &k;
  }
  if (!known) {
    std::vector<std::string> names;
    for (const auto& k : kKinds) names.push_back(k.name);
    const auto hint = did_you_mean(kind, names);
    r.error(kind_node.IsDefined() ? kind_node : document, doc_path + ".kind",
            "unknown MetalLB kind " + q(kind) + (hint.empty() ? "" : "; " + hint));
    return;
  }
  if (version != "v1beta1" && !(version == "v1beta2" && known->v1beta2)) {
    r.error(version_node, doc_path + ".apiVersion",
            "unsupported apiVersion " + q(api_version) + " for " + kind +
                ": use metallb.io/v1beta1" + (known->v1beta2 ? " or metallb.io/v1beta2" : ""));
    return;
  }
  Object o{.kind = kind, .version = version, .node = document};
  MapReader top(r, Field{document, doc_path}, {"apiVersion", "kind", "metadata", "spec", "status"});
  std::string prefix = kind + "(#" + std::to_string(index) + ")";
  if (auto md = top.get("metadata")) {
    MapReader meta(r, Field{md->node, prefix + ".metadata"}, kMetadataKeys);
    if (auto n = meta.get("name")) {
      o.name = read_string(r, *n).value_or("");
      prefix = kind + "(" + o.name + ")";
    } else {
      meta.require("name");
    }
    if (auto l = meta.get("labels")) o.labels = read_labels(r, *l).value_or(Labels{});
    if (auto a = meta.get("annotations")) {
      read_annotations(r, Field{a->node, prefix + ".metadata.annotations"}, o);
    }
  } else {
    r.error(document, doc_path, "missing required field \"metadata\" (with a name)");
  }
  o.prefix = prefix;
  const auto spec_field = top.get("spec");
  if (!spec_field && (kind == "IPAddressPool" || kind == "BGPPeer")) {
    r.error(document, prefix, "missing required field \"spec\"");
    return;
  }
  known->read(
      r, o,
      spec_field ? Field{spec_field->node, prefix + ".spec"} : Field{Node(), prefix + ".spec"},
      config);
}

}  // namespace vipd::config::detail
