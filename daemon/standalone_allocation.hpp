#pragma once
// The addresses of a standalone file's services: what a start and a reload both decide.
//
// Responsible for: one rule for start-up and reload, so that reloading a file means exactly
// what restarting on it with the same state file means (MetalLB's controller order): from what
// was held before (the state file at start, the current holdings at reload), first release
// what no longer applies — services removed, addresses no longer requested or no longer in a
// pool — then keep what still fits, then allocate every service in file order. Two services
// that swap requested addresses in one reload get them; a service refused before is retried
// once addresses are freed; nothing keeps an address it no longer asks for.
// Not responsible for: the state file (allocator/state_file.hpp, the caller's I/O), logging (it
// returns notes).
// Pure; used from the daemon's one thread.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "allocator/allocator.hpp"
#include "common/result.hpp"
#include "config/model.hpp"
#include "daemon/route_reconciler.hpp"

namespace vipd::daemon {

using Holdings = std::vector<std::pair<allocator::ServiceKey, allocator::Assignment>>;

class StandaloneAllocation {
 public:
  // Decides every service's addresses for `config`, starting from `held`. On an error (the
  // pools are refused, which validation should have prevented) nothing changes.
  Result<std::vector<Note>> decide(const config::Config& config, const Holdings& held);
  // The same, starting from what is held now.
  Result<std::vector<Note>> reload(const config::Config& config) {
    return decide(config, allocator_.assignments());
  }

  const allocator::Allocator& allocator() const { return allocator_; }
  // Services without an address, and why.
  const std::map<std::string, std::string>& errors() const { return errors_; }

 private:
  allocator::Allocator allocator_;
  std::map<std::string, std::string> errors_;
};

}  // namespace vipd::daemon
