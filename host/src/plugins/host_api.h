#pragma once

#include <streamhost/plugin_abi.h>

namespace streamhost::plugins {

/// The host services table handed to every plugin. Its `ctx` arguments are
/// InstanceContext handles, its `emitter` arguments RecordBatch handles and
/// its push responses PushResponseBuffer handles. Every function is noexcept
/// and turns a failure into a status code. The table is constant and lives for
/// the whole process.
/// @param version the ABI the host announces: for an older minor (tests that
///        pretend to be an older host) the table ends where that minor's did.
const sh_host_api_t* hostApi(uint32_t version = SH_ABI_VERSION);

}  // namespace streamhost::plugins
