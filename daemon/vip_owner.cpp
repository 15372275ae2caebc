#include "daemon/vip_owner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "netlink/raw_announcer.hpp"
#include "netlink/rtnetlink.hpp"
#include "vip/host_checks.hpp"

namespace vipd::daemon {

VipOwner::VipOwner(asio::any_io_executor executor, TimerClock& clock, std::string who,
                   Clock::duration resync_period)
    : executor_(executor),
      clock_(clock),
      who_(std::move(who)),
      resync_period_(resync_period),
      resync_timer_(clock.make_timer(executor)) {}

VipOwner::~VipOwner() = default;

namespace {

// A sysctl's integer value; -1 when it cannot be read.
int sysctl(const char* path) {
  std::ifstream in(path);
  int value = -1;
  if (!(in >> value)) return -1;
  return value;
}

}  // namespace

void VipOwner::open() {
  if (vips_ || !netlink_error_.empty()) return;
  auto nl = netlink::open_rtnetlink(executor_);
  if (!nl) {
    netlink_error_ = "netlink: " + nl.error().message();
    spdlog::error("{}: {}: no layer-2 VIP can be brought up on this host", who_, netlink_error_);
    return;
  }
  netlink_ = std::move(nl.value());
  announcer_ = std::make_unique<netlink::RawAnnouncer>(executor_, clock_);
  vips_ = std::make_unique<vip::VipReconciler>(
      *netlink_, *announcer_,
      [who = who_](const std::string& line) { spdlog::info("{}: {}", who, line); });
  if (auto r = vips_->start(); !r) {
    netlink_error_ = "netlink: " + r.error().message();
    spdlog::error("{}: {}: no layer-2 VIP can be brought up on this host", who_, netlink_error_);
    vips_.reset();
    return;
  }
  arm_resync();
}

void VipOwner::arm_resync() {
  resync_timer_->arm(clock_.now() + resync_period_, [this] {
    if (released_) return;
    if (vips_) vips_->resync();
    arm_resync();
  });
}

void VipOwner::apply(const planner::Snapshot& snapshot, std::string_view node,
                     const vip::Liveness& liveness) {
  if (released_) return;
  decisions_ = vip::elect(snapshot, node, liveness);
  if (!decisions_.empty() && !arp_checked_) {
    arp_checked_ = true;
    if (const auto warning =
            vip::arp_settings_warning(sysctl("/proc/sys/net/ipv4/conf/all/arp_ignore"),
                                      sysctl("/proc/sys/net/ipv4/conf/all/arp_announce"))) {
      spdlog::warn("{}: {}", who_, *warning);
    }
  }
  if (!vips_) return;
  std::vector<vip::DesiredVip> desired;
  for (const auto& d : decisions_) {
    if (!d.mine) continue;
    for (const auto& a : d.addresses) {
      desired.push_back({.address = a,
                         .service = d.service,
                         .interfaces = d.interfaces,
                         .all_interfaces = d.all_interfaces});
    }
  }
  vips_->apply(std::move(desired));
}

void VipOwner::reannounce() {
  if (vips_ && !released_) vips_->reannounce();
}

void VipOwner::clear() {
  if (vips_) vips_->apply({});
  decisions_.clear();
}

void VipOwner::release_all() {
  clear();
  released_ = true;
  resync_timer_->cancel();
}

std::map<std::string, std::vector<std::string>> VipOwner::held_interfaces() const {
  std::map<std::string, std::vector<std::string>> out;
  if (!vips_) return out;
  for (const auto& s : vips_->status()) {
    if (s.state != vip::VipState::kUp) continue;
    auto& list = out[s.service];
    if (std::find(list.begin(), list.end(), s.interface) == list.end()) {
      list.push_back(s.interface);
      std::sort(list.begin(), list.end());
    }
  }
  return out;
}

void VipOwner::fill(admin::DaemonStatus& status, const admin::StatusQuery& query) const {
  std::map<IpAddress, vip::VipStatus> held;
  if (vips_) {
    for (auto& s : vips_->status()) held.emplace(s.address, std::move(s));
  }
  admin::ListPage page(query);
  auto& out = status.layer2;
  for (const auto& d : decisions_) {
    for (const auto& a : d.addresses) {
      page.entry();
      status.layer2_here += d.mine;
      if (!query.service_matches(d.service) || !query.address_matches(a) || !page.admit()) {
        continue;
      }
      admin::Layer2View v;
      v.address = a.to_string();
      v.service = d.service;
      v.owner = d.owner.value_or("");
      v.mine = d.mine;
      v.reason = std::string(vip::to_string(d.reason));
      v.detail = d.detail;
      v.candidates = d.ranked;
      if (d.mine) {
        if (const auto it = held.find(a); it != held.end()) {
          v.state = std::string(vip::to_string(it->second.state));
          v.interface = it->second.interface;
          v.error = it->second.error;
        } else {
          v.state = "failed";
          v.error = netlink_error_.empty() ? "not brought up" : netlink_error_;
        }
      }
      if (announcer_) {
        if (const auto it = announcer_->sent().find(a); it != announcer_->sent().end()) {
          v.gratuitous_sent = it->second;
        }
      }
      out.push_back(std::move(v));
    }
  }
  status.layer2_count = page.count();
}

}  // namespace vipd::daemon
