#pragma once
// Checks on the normalised model that do not depend on how it was written: MetalLB's rules
// across objects (overlapping pools, duplicates, references, timers, aggregation lengths, BFD
// ranges, BFD echo over IPv6), vipd's rules on its own settings (connect time, standalone services
// and nodes), and the settings refused because vipd does not implement them yet.
//
// Every front end runs these after building the model, so the three formats agree. Errors
// point at the user's text through the front end's `Origins`. Pure; no I/O.

#include "config/diagnostic.hpp"
#include "config/model.hpp"

namespace vipd::config {

void validate(const Config& config, SourceFormat format, const Origins& origins,
              Diagnostics& diagnostics);

// Refuses, with an error at each use, every setting vipd reads but does not implement yet (in
// any mode, or in `vipd standalone` only), so that no setting is accepted and then ignored.
// unsupported.cpp is the one list of them.
void refuse_unsupported(const Config& config, SourceFormat format, const Origins& origins,
                        Diagnostics& diagnostics);

}  // namespace vipd::config
