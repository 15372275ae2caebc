#include "vip/reconciler.hpp"

#include <algorithm>
#include <utility>

#include "common/prefix.hpp"

namespace vipd::vip {

std::string_view to_string(VipState state) {
  switch (state) {
    case VipState::kUp:
      return "up";
    case VipState::kNoInterface:
      return "noInterface";
    case VipState::kFailed:
      return "failed";
  }
  return "unknown";
}

namespace {

// Set while the reconciler itself changes addresses: the events those changes cause (the fake
// delivers them synchronously) only update the caches.
class Acting {
 public:
  explicit Acting(bool& flag) : flag_(flag), previous_(flag) { flag_ = true; }
  ~Acting() { flag_ = previous_; }
  Acting(const Acting&) = delete;
  Acting& operator=(const Acting&) = delete;

 private:
  bool& flag_;
  bool previous_;
};

bool same(const netlink::Address& a, int link, const IpAddress& address) {
  return a.link == link && a.address == address;
}

}  // namespace

VipReconciler::VipReconciler(netlink::Netlink& netlink, netlink::Announcer& announcer,
                             std::function<void(const std::string&)> log)
    : netlink_(netlink), announcer_(announcer), log_(std::move(log)) {}

Result<void> VipReconciler::start() {
  VIPD_TRY(auto links, netlink_.links());
  VIPD_TRY(auto addresses, netlink_.addresses());
  links_.clear();
  for (auto& l : links) links_.emplace(l.index, std::move(l));
  addresses_ = std::move(addresses);
  return netlink_.subscribe({
      .link = [this](const netlink::LinkEvent& e) { on_link(e); },
      .address = [this](const netlink::AddressEvent& e) { on_address(e); },
      .resync = [this] { resync(); },
  });
}

void VipReconciler::say(const std::string& line) const {
  if (log_) log_(line);
}

std::string VipReconciler::link_name(int index) const {
  const auto it = links_.find(index);
  return it == links_.end() ? "link " + std::to_string(index) : it->second.name;
}

bool VipReconciler::usable(const netlink::Link& link) const {
  return !link.loopback && link.mac.has_value() && link.up && link.running;
}

std::optional<int> VipReconciler::choose_link(const DesiredVip& want, std::string& why) const {
  const auto allowed = [&](const netlink::Link& l) {
    return want.all_interfaces || std::find(want.interfaces.begin(), want.interfaces.end(),
                                            l.name) != want.interfaces.end();
  };
  // The link holding a subnet with the VIP in it (the LAN the VIP belongs to).
  for (const auto& a : addresses_) {
    if (a.vipd || a.address.family() != want.address.family()) continue;
    if (a.prefix_length >= want.address.bits()) continue;
    const auto subnet = Prefix::make(a.address, a.prefix_length);
    if (!subnet || !subnet.value().contains(want.address)) continue;
    const auto it = links_.find(a.link);
    if (it != links_.end() && allowed(it->second) && usable(it->second)) return a.link;
  }
  if (!want.all_interfaces) {
    for (const auto& name : want.interfaces) {
      for (const auto& [index, l] : links_) {
        if (l.name == name && usable(l)) return index;
      }
    }
    why = "none of the interfaces " + [&] {
      std::string list;
      for (const auto& n : want.interfaces) list += (list.empty() ? "" : ", ") + n;
      return list;
    }() + " exists and is up with a MAC address";
    return std::nullopt;
  }
  why = "no interface that is up has a subnet holding " + want.address.to_string() +
        " (name the interface in the L2Advertisement's interfaces)";
  return std::nullopt;
}

void VipReconciler::release(const IpAddress& address, int link) {
  const Acting acting(acting_);
  announcer_.stop(address);
  if (auto r = netlink_.delete_vip(link, address); !r) {
    say("VIP " + address.to_string() + ": " + r.error().message());
    return;
  }
  std::erase_if(addresses_, [&](const netlink::Address& a) { return same(a, link, address); });
}

void VipReconciler::place(Held& held) {
  const Acting acting(acting_);
  const auto& address = held.want.address;
  std::string why;
  const auto target = choose_link(held.want, why);
  if (!target) {
    if (held.link) {
      release(address, *held.link);
      held.link.reset();
    }
    if (held.state != VipState::kNoInterface || held.error != why) {
      say("VIP " + address.to_string() + " (" + held.want.service + ") is not brought up: " + why);
    }
    held.state = VipState::kNoInterface;
    held.error = why;
    return;
  }
  if (held.link == target && held.state == VipState::kUp) return;
  if (held.link && held.link != target) {
    say("VIP " + address.to_string() + " moves from " + link_name(*held.link) + " to " +
        link_name(*target));
    release(address, *held.link);
    held.link.reset();
  }
  if (auto r = netlink_.add_vip(*target, address); !r) {
    if (held.state != VipState::kFailed || held.error != r.error().message()) {
      say("VIP " + address.to_string() + " (" + held.want.service + "): " + r.error().message());
    }
    held.state = VipState::kFailed;
    held.error = r.error().message();
    return;
  }
  held.link = *target;
  held.state = VipState::kUp;
  held.error.clear();
  if (std::none_of(addresses_.begin(), addresses_.end(),
                   [&](const auto& a) { return same(a, *target, address); })) {
    addresses_.push_back(
        {.link = *target, .address = address, .prefix_length = address.bits(), .vipd = true});
  }
  const auto& link = links_.at(*target);
  if (auto r = announcer_.announce(link, address); !r) {
    say("VIP " + address.to_string() + " on " + link.name + ": " + r.error().message());
  }
  say("VIP " + address.to_string() + " (" + held.want.service + ") is up on " + link.name);
}

void VipReconciler::apply(std::vector<DesiredVip> desired) {
  std::map<IpAddress, DesiredVip> want;
  for (auto& d : desired) {
    const auto address = d.address;
    want.insert_or_assign(address, std::move(d));
  }
  if (first_apply_) {
    first_apply_ = false;
    // Adopt what a previous run left that is still wanted; delete the rest.
    const auto found = addresses_;
    for (const auto& a : found) {
      if (!a.vipd) continue;
      const auto w = want.find(a.address);
      if (w != want.end() && !held_.contains(a.address)) {
        held_.emplace(a.address,
                      Held{.want = w->second, .link = a.link, .state = VipState::kFailed});
        continue;
      }
      say("deleting VIP " + a.address.to_string() + " on " + link_name(a.link) +
          ", left by an earlier run");
      release(a.address, a.link);
    }
  }
  for (auto it = held_.begin(); it != held_.end();) {
    if (want.contains(it->first)) {
      ++it;
      continue;
    }
    if (it->second.link) {
      say("VIP " + it->first.to_string() + " (" + it->second.want.service + ") released from " +
          link_name(*it->second.link));
      release(it->first, *it->second.link);
    }
    it = held_.erase(it);
  }
  for (auto& [address, w] : want) {
    auto [it, inserted] = held_.try_emplace(address, Held{.want = w});
    if (!inserted) it->second.want = std::move(w);
    place(it->second);
  }
}

void VipReconciler::reannounce() {
  for (const auto& [address, held] : held_) {
    if (held.state != VipState::kUp || !held.link) continue;
    const auto link = links_.find(*held.link);
    if (link != links_.end()) (void)announcer_.announce(link->second, address);
  }
}

void VipReconciler::refresh() {
  auto links = netlink_.links();
  auto addresses = netlink_.addresses();
  if (!links || !addresses) {
    say(std::string("cannot list links and addresses: ") +
        (!links ? links.error().message() : addresses.error().message()));
    return;
  }
  links_.clear();
  for (auto& l : links.value()) links_.emplace(l.index, std::move(l));
  addresses_ = std::move(addresses.value());
}

void VipReconciler::resync() {
  refresh();
  for (auto& [address, held] : held_) {
    if (held.state == VipState::kUp && held.link) {
      const bool present = std::any_of(addresses_.begin(), addresses_.end(), [&](const auto& a) {
        return a.vipd && same(a, *held.link, address);
      });
      if (!present) {
        say("VIP " + address.to_string() + " is missing from " + link_name(*held.link) +
            "; adding it again");
        held.state = VipState::kFailed;
        held.link.reset();
      }
    }
    place(held);
  }
  if (first_apply_) return;  // stale ones are judged by the first apply()
  const auto found = addresses_;
  for (const auto& a : found) {
    if (a.vipd && !held_.contains(a.address)) {
      say("deleting VIP " + a.address.to_string() + " on " + link_name(a.link) +
          ": vipd does not own it");
      release(a.address, a.link);
    }
  }
}

void VipReconciler::on_link(const netlink::LinkEvent& event) {
  const auto index = event.link.index;
  const auto before = links_.find(index);
  const bool was_usable = before != links_.end() && usable(before->second);
  if (event.removed) {
    links_.erase(index);
    std::erase_if(addresses_, [&](const netlink::Address& a) { return a.link == index; });
  } else {
    links_.insert_or_assign(index, event.link);
  }
  if (acting_) return;
  const bool now_usable = !event.removed && usable(event.link);
  if (was_usable == now_usable) return;
  for (auto& [address, held] : held_) {
    if (held.link == index && !now_usable) {
      // The address stays on the link (the kernel keeps it); another link may take it.
      if (event.removed) held.link.reset();
      held.state = VipState::kFailed;
      held.error = "link " + event.link.name + " is down";
    }
    if (held.link == index && now_usable && held.state == VipState::kUp) continue;
    place(held);
  }
  if (now_usable) {
    // The link is back: whatever it carries is announced again.
    for (const auto& [address, held] : held_) {
      if (held.link == index && held.state == VipState::kUp) {
        (void)announcer_.announce(event.link, address);
      }
    }
  }
}

void VipReconciler::on_address(const netlink::AddressEvent& event) {
  const auto& a = event.address;
  std::erase_if(addresses_, [&](const netlink::Address& x) { return same(x, a.link, a.address); });
  if (!event.removed) addresses_.push_back(a);
  if (acting_) return;
  if (event.removed) {
    const auto it = held_.find(a.address);
    if (it != held_.end() && it->second.link == a.link && it->second.state == VipState::kUp) {
      say("VIP " + a.address.to_string() + " was deleted from " + link_name(a.link) +
          " by someone else; adding it again");
      it->second.state = VipState::kFailed;
      it->second.link.reset();
      place(it->second);
    }
    return;
  }
  if (a.vipd) return;
  // A new subnet may give a home to a VIP that had none.
  for (auto& [address, held] : held_) {
    if (held.state != VipState::kUp) place(held);
  }
}

std::vector<VipStatus> VipReconciler::status() const {
  std::vector<VipStatus> out;
  for (const auto& [address, held] : held_) {
    out.push_back({.address = address,
                   .service = held.want.service,
                   .state = held.state,
                   .interface = held.link ? link_name(*held.link) : "",
                   .error = held.error});
  }
  return out;
}

}  // namespace vipd::vip
