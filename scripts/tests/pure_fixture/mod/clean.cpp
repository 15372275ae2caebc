// A pure source that includes only pure headers.
#include "mod/clean.hpp"
