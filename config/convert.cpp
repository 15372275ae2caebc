#include "config/convert.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace vipd::config {
namespace {

bool plain_safe(std::string_view s) {
  if (s.empty()) return false;
  static const std::set<std::string, std::less<>> kReserved = {"true", "false", "yes", "no", "on",
                                                               "off",  "null",  "y",   "n",  "~"};
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (kReserved.count(lower) != 0) return false;
  if (std::all_of(s.begin(), s.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }) &&
      std::count(s.begin(), s.end(), '.') <= 1) {
    return false;  // would read back as a number
  }
  if (!std::isalnum(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '/' ||
           c == '_';
  });
}

// A YAML scalar: plain when it reads back as the same string, double-quoted otherwise.
std::string scalar(std::string_view s, bool force_quotes = false) {
  if (!force_quotes && plain_safe(s)) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* kHex = "0123456789abcdef";
          out += "\\x";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

class Emitter {
 public:
  explicit Emitter(std::string_view ns) : ns_(ns) {}

  void begin(std::string_view api_version, std::string_view kind, std::string_view name,
             const std::vector<std::pair<std::string, std::string>>& annotations = {}) {
    out_ += "apiVersion: " + std::string(api_version) + "\nkind: " + std::string(kind) +
            "\nmetadata:\n  name: " + scalar(name) + "\n  namespace: " + scalar(ns_) + "\n";
    if (!annotations.empty()) {
      out_ += "  annotations:\n";
      for (const auto& [k, v] : annotations)
        out_ += "    " + scalar(k) + ": " + scalar(v, true) + "\n";
    }
    out_ += "spec:\n";
  }
  void end() { out_ += "---\n"; }
  void line(int indent, std::string_view text) {
    out_ += std::string(static_cast<std::size_t>(indent), ' ') + std::string(text) + "\n";
  }
  void list(int indent, std::string_view key, const std::vector<std::string>& items,
            bool quote = false) {
    if (items.empty()) return;
    line(indent, std::string(key) + ":");
    for (const auto& i : items) line(indent, "- " + scalar(i, quote));
  }
  void selectors(int indent, std::string_view key, const std::vector<LabelSelector>& selectors) {
    if (selectors.empty()) return;
    line(indent, std::string(key) + ":");
    for (const auto& s : selectors) {
      bool first = true;
      const auto item = [&](const std::string& text) {
        line(indent, (first ? "- " : "  ") + text);
        first = false;
      };
      if (s.match_labels.empty() && s.match_expressions.empty()) item("{}");
      if (!s.match_expressions.empty()) {
        item("matchExpressions:");
        for (const auto& e : s.match_expressions) {
          static const char* kOps[] = {"In", "NotIn", "Exists", "DoesNotExist"};
          line(indent + 2, "- key: " + scalar(e.key));
          line(indent + 2, "  operator: " + std::string(kOps[static_cast<int>(e.op)]));
          list(indent + 4, "values", e.values);
        }
      }
      if (!s.match_labels.empty()) {
        item("matchLabels:");
        for (const auto& [k, v] : s.match_labels)
          line(indent + 4, scalar(k) + ": " + scalar(v, v.empty()));
      }
    }
  }
  std::string take() { return std::move(out_); }

 private:
  std::string ns_;
  std::string out_ = "# Converted from a MetalLB ConfigMap by vipd config convert.\n";
};

}  // namespace

std::string resource_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  const auto first = out.find_first_of("abcdefghijklmnopqrstuvwxyz");
  out = first == std::string::npos ? std::string() : out.substr(first);
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

Result<std::string> emit_resources(const Config& config, std::string_view namespace_name) {
  // Renamed objects; references follow. Two objects of one kind may not end up with one name.
  std::map<std::string, std::string, std::less<>> pool_names, bfd_names;
  std::string errors;
  const auto rename = [&](const std::string& kind, const std::string& name,
                          std::map<std::string, std::string, std::less<>>& names) {
    const auto renamed = resource_name(name);
    if (renamed.empty())
      errors += kind + " \"" + name + "\" has no letters to make a resource name from\n";
    for (const auto& [original, other] : names) {
      if (other == renamed && original != name) {
        errors += kind + " \"" + name + "\" and \"" + original + "\" both convert to the name \"" +
                  renamed + "\"\n";
      }
    }
    names.emplace(name, renamed);
  };
  for (const auto& p : config.pools) rename("pool", p.name, pool_names);
  for (const auto& b : config.bfd_profiles) rename("BFD profile", b.name, bfd_names);
  if (!errors.empty()) {
    errors.pop_back();
    return failure(Errc::kConflict, errors);
  }
  const auto pools_renamed = [&](const std::vector<std::string>& pools) {
    std::vector<std::string> out;
    for (const auto& p : pools)
      out.push_back(pool_names.count(p) ? pool_names.at(p) : resource_name(p));
    return out;
  };

  Emitter e(namespace_name);
  for (const auto& p : config.peers) {
    // vipd's own settings have no BGPPeer field: they travel as vipd.io/ annotations.
    std::vector<std::pair<std::string, std::string>> annotations;
    if (p.gtsm) annotations.emplace_back("vipd.io/gtsm", "true");
    if (p.passive) annotations.emplace_back("vipd.io/passive", "true");
    e.begin("metallb.io/v1beta2", "BGPPeer", p.name, annotations);
    if (!p.bfd_profile.empty()) {
      e.line(2, "bfdProfile: " + scalar(bfd_names.count(p.bfd_profile) ? bfd_names.at(p.bfd_profile)
                                                                       : p.bfd_profile));
    }
    if (p.connect_time) e.line(2, "connectTime: " + format_duration(*p.connect_time));
    if (p.ebgp_multihop) e.line(2, "ebgpMultiHop: true");
    if (p.hold_time) e.line(2, "holdTime: " + format_duration(*p.hold_time));
    if (p.keepalive_time) e.line(2, "keepaliveTime: " + format_duration(*p.keepalive_time));
    e.line(2, "myASN: " + std::to_string(p.my_asn));
    e.selectors(2, "nodeSelectors", p.node_selectors);
    if (!p.password.empty()) e.line(2, "password: " + scalar(p.password));
    e.line(2, "peerASN: " + std::to_string(p.peer_asn));
    if (p.address) e.line(2, "peerAddress: " + scalar(p.address->to_string(), p.address->is_v6()));
    e.line(2, "peerPort: " + std::to_string(p.port));
    if (p.router_id) e.line(2, "routerID: " + p.router_id->to_string());
    if (p.source_address) {
      e.line(2,
             "sourceAddress: " + scalar(p.source_address->to_string(), p.source_address->is_v6()));
    }
    e.end();
  }
  for (const auto& p : config.pools) {
    e.begin("metallb.io/v1beta1", "IPAddressPool", pool_names.at(p.name));
    std::vector<std::string> addresses;
    for (const auto& a : p.addresses) addresses.push_back(a.to_string());
    e.list(2, "addresses", addresses, true);
    e.line(2, std::string("autoAssign: ") + (p.auto_assign ? "true" : "false"));
    if (p.avoid_buggy_ips) e.line(2, "avoidBuggyIPs: true");
    e.end();
  }
  for (const auto& a : config.bgp_advertisements) {
    e.begin("metallb.io/v1beta1", "BGPAdvertisement", a.name);
    if (a.aggregation_length != 32)
      e.line(2, "aggregationLength: " + std::to_string(a.aggregation_length));
    if (a.aggregation_length_v6 != 128) {
      e.line(2, "aggregationLengthV6: " + std::to_string(a.aggregation_length_v6));
    }
    e.list(2, "communities", a.communities, true);
    e.list(2, "ipAddressPools", pools_renamed(a.pools));
    if (a.local_pref != 0) e.line(2, "localPref: " + std::to_string(a.local_pref));
    e.end();
  }
  for (const auto& a : config.l2_advertisements) {
    e.begin("metallb.io/v1beta1", "L2Advertisement", a.name);
    e.list(2, "ipAddressPools", pools_renamed(a.pools));
    e.end();
  }
  for (const auto& b : config.bfd_profiles) {
    e.begin("metallb.io/v1beta1", "BFDProfile", bfd_names.at(b.name));
    const auto number = [&](const char* key, const std::optional<std::uint32_t>& v) {
      if (v) e.line(2, std::string(key) + ": " + std::to_string(*v));
    };
    number("detectMultiplier", b.detect_multiplier);
    number("echoInterval", b.echo_interval_ms);
    e.line(2, std::string("echoMode: ") + (b.echo_mode ? "true" : "false"));
    number("minimumTtl", b.minimum_ttl);
    e.line(2, std::string("passiveMode: ") + (b.passive_mode ? "true" : "false"));
    number("receiveInterval", b.receive_interval_ms);
    number("transmitInterval", b.transmit_interval_ms);
    e.end();
  }
  if (!config.communities.empty()) {
    e.begin("metallb.io/v1beta1", "Community", "communities");
    e.line(2, "communities:");
    for (const auto& [name, value] : config.communities) {
      e.line(2, "- name: " + scalar(name));
      e.line(2, "  value: " + scalar(value.to_string(), true));
    }
    e.end();
  }
  return e.take();
}

Result<std::string> convert_configmap(std::string_view text, std::string file_name,
                                      std::string_view namespace_name) {
  // MetalLB's rules, not what vipd runs: every setting carries over (load.hpp, Purpose).
  VIPD_TRY(auto config,
           load_text(text, std::move(file_name), InputFormat::kConfigMap, Purpose::kTranslate));
  return emit_resources(config, namespace_name);
}

}  // namespace vipd::config
