#pragma once

#include <streamhost/plugin_abi.h>

namespace streamhost::plugins {

/// The host services table handed to every plugin. Its `ctx` arguments are
/// InstanceContext handles and its `sink` arguments RecordBatch handles. Every
/// function is noexcept and turns a failure into a status code. The table is
/// constant and lives for the whole process.
const sh_host_api_t* hostApi();

}  // namespace streamhost::plugins
