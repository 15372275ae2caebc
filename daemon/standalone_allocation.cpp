#include "daemon/standalone_allocation.hpp"

#include "allocator/from_config.hpp"
#include "allocator/rules.hpp"
#include "daemon/translate.hpp"

namespace vipd::daemon {

Result<std::vector<Note>> StandaloneAllocation::decide(const config::Config& config,
                                                       const Holdings& held) {
  std::vector<Note> notes;
  allocator::Allocator next;
  const auto pools = allocator::pools_from_config(config);
  if (auto r = next.set_pools(pools); !r) {
    return failure(Errc::kInvalidArgument, "address pools: " + r.error().message());
  }
  std::map<allocator::ServiceKey, allocator::ServiceRequest> requests;
  std::vector<const allocator::ServiceRequest*> order;  // file order
  if (config.standalone) {
    for (const auto& s : config.standalone->services) {
      auto request = to_request(s, config, pools);
      auto [it, fresh] = requests.emplace(request.key, std::move(request));
      if (fresh) order.push_back(&it->second);
    }
  }
  // Release what no longer applies, keep what still fits (in service order, as the state file
  // lists them): adopt() refuses addresses the service no longer requests, outside its pools,
  // of families it no longer has, or that it may not share any more.
  for (const auto& [key, assignment] : held) {
    const auto it = requests.find(key);
    if (it == requests.end()) {
      notes.push_back({Note::Level::kInfo, "service " + key.to_string() +
                                               ": no longer configured; its addresses are "
                                               "released"});
      continue;
    }
    if (auto adopted = next.adopt(it->second, assignment.addresses); !adopted) {
      notes.push_back({Note::Level::kInfo, "service " + key.to_string() + ": releases " +
                                               allocator::describe(assignment.addresses) + ": " +
                                               adopted.error().message()});
    }
  }
  std::map<std::string, std::string> errors;
  for (const auto* request : order) {
    const auto key = request->key.to_string();
    if (auto r = next.assign(*request); !r) {
      // One service's problem never stops the others.
      errors[key] = r.error().message();
      notes.push_back({Note::Level::kWarning, "service " + key + ": no address: " + errors[key]});
      continue;
    }
    const auto* now = next.assignment(request->key);
    const auto* before = allocator_.assignment(request->key);
    if (now && (!before || before->addresses != now->addresses)) {
      notes.push_back({Note::Level::kInfo, "service " + key + ": " +
                                               allocator::describe(now->addresses) + " from pool " +
                                               now->pool});
    }
  }
  allocator_ = std::move(next);
  errors_ = std::move(errors);
  return notes;
}

}  // namespace vipd::daemon
