#pragma once
// Host settings that decide whether a layer-2 VIP is answered for by its owner alone
// (DESIGN.md, "Layer 2 VIPs"): with net.ipv4.conf.all.arp_ignore = 0 Linux answers an ARP
// request for any address it holds on any interface (kube-proxy in IPVS mode puts every
// LoadBalancer address on kube-ipvs0 of every node), so every node may answer for a VIP; with
// arp_announce < 2 the kernel may source ARP requests from a VIP. Pure: the caller reads the
// sysctls (the kernel uses the larger of `all` and the interface's value).

#include <optional>
#include <string>

namespace vipd::vip {

// A warning for a person, or nothing when both settings are safe. Values below 0 mean the
// setting could not be read (not said).
std::optional<std::string> arp_settings_warning(int arp_ignore, int arp_announce);

}  // namespace vipd::vip
