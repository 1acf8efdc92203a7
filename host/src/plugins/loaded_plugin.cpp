#include "plugins/loaded_plugin.h"

namespace streamhost::plugins {

std::string abiVersionString(uint32_t version) {
  return std::to_string(SH_ABI_MAJOR_OF(version)) + "." + std::to_string(SH_ABI_MINOR_OF(version));
}

LoadedPlugin::~LoadedPlugin() {
  if (shutdown_ != nullptr) {
    shutdown_(opaque_);
  }
}

std::string LoadedPlugin::abiVersionString() const { return plugins::abiVersionString(abi_version_); }

const char* configTypeName(int32_t type) {
  switch (type) {
    case SH_CFG_STRING: return "string";
    case SH_CFG_INT: return "int";
    case SH_CFG_BOOL: return "bool";
    case SH_CFG_DOUBLE: return "double";
    case SH_CFG_ARRAY: return "array";
    case SH_CFG_OBJECT: return "object";
    case SH_CFG_ANY: return "any";
    default: return "unknown";
  }
}

}  // namespace streamhost::plugins
