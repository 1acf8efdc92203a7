#include "app/version.h"

#include <fstream>
#include <string>

#include "store/sqlite_schema.h"

namespace streamhost::app {

const char* version() { return STREAMHOST_VERSION; }

int64_t storeSchemaVersion() { return store::sqliteSchemaVersionKnown(); }

Status writeStoreSchemaMarker(const std::filesystem::path& data_dir) {
  std::filesystem::path tmp = data_dir / (std::string(kStoreSchemaFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << storeSchemaVersion() << "\n";
    if (!out.flush()) {
      return Status(StatusCode::kInternal, "cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, data_dir / kStoreSchemaFile, ec);
  if (ec) {
    return Status(StatusCode::kInternal, "cannot write " + (data_dir / kStoreSchemaFile).string() + ": " + ec.message());
  }
  return Status::ok();
}

}  // namespace streamhost::app
