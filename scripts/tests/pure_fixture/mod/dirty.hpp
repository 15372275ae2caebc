#pragma once
#include "common/asio.hpp"
