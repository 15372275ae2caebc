#include "vip/host_checks.hpp"

namespace vipd::vip {

std::optional<std::string> arp_settings_warning(int arp_ignore, int arp_announce) {
  std::string problems;
  if (arp_ignore == 0) {
    problems +=
        "net.ipv4.conf.all.arp_ignore is 0: this host answers ARP requests for any address it "
        "holds on any interface (kube-proxy in IPVS mode puts every LoadBalancer address on "
        "kube-ipvs0), so hosts that do not own a VIP may answer for it";
  }
  if (arp_announce >= 0 && arp_announce < 2) {
    if (!problems.empty()) problems += "; ";
    problems += "net.ipv4.conf.all.arp_announce is " + std::to_string(arp_announce) +
                ": this host may send ARP requests from a VIP it holds on another interface";
  }
  if (problems.empty()) return std::nullopt;
  return problems + " (set net.ipv4.conf.all.arp_ignore=1 and net.ipv4.conf.all.arp_announce=2)";
}

}  // namespace vipd::vip
