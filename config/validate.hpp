#pragma once
// Checks on the normalised model that do not depend on how it was written: MetalLB's rules
// across objects (overlapping pools, duplicates, references, timers, aggregation lengths, BFD
// ranges) and the standalone file's rules (unique services, requested addresses inside pools).
//
// Every front end runs these after building the model, so the three formats agree. Errors
// point at the user's text through the front end's `Origins`. Pure; no I/O.

#include "config/diagnostic.hpp"
#include "config/model.hpp"

namespace vipd::config {

void validate(const Config& config, SourceFormat format, const Origins& origins,
              Diagnostics& diagnostics);

}  // namespace vipd::config
