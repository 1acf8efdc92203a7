#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>

#include "store/store.h"
#include "support/temp_dir.h"

namespace streamhost::store::contract {

/// Opens the store whose data lives under `dir`. Calling it again with the
/// same `dir` must reopen the same data (the reopen tests rely on it).
using StoreOpener = std::function<Result<StorePtr>(const std::string& dir)>;

/// One Store implementation under test.
struct StoreBackend {
  std::string name;
  StoreOpener open;
};

inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

/// Fixture of the shared Store test suite (store_contract_test.cpp). A backend
/// joins with INSTANTIATE_TEST_SUITE_P(Name, StoreContractTest, ::testing::Values(StoreBackend{...}),
/// backendName).
class StoreContractTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  /// Closes the store and opens it again from the same place.
  void reopen();

  PipelineRow pipeline(const std::string& id, const std::string& name, int64_t created_at = 1000);
  StreamRow stream(const std::string& id, const std::string& name, const std::string& pipeline_id,
                   int64_t created_at = 1000);
  ConnectionRow connection(const std::string& id, const std::string& name, const std::string& type = "postgres",
                           int64_t created_at = 1000);
  /// Creates pipeline "pl_main" that streams can point at.
  void createMainPipeline();

  streamhost::testing::TempDir dir_;
  StorePtr store_;
};

/// Test-name generator: the backend's name.
inline std::string backendName(const ::testing::TestParamInfo<StoreBackend>& info) { return info.param.name; }

}  // namespace streamhost::store::contract
