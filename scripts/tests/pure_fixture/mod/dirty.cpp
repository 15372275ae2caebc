// A pure source that reaches Asio through a project header.
#include "mod/dirty.hpp"
