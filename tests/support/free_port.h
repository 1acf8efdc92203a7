#pragma once

#include <cstdint>

namespace streamhost::testing {

/// A loopback TCP port that was free a moment ago; 0 when none could be found.
/// Another process may take it before the caller binds, so callers retry.
uint16_t pickFreePort();

}  // namespace streamhost::testing
