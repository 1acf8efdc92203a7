#pragma once

#include <string>
#include <vector>

#include "my_session.h"

namespace streamhost::mycdc {

/// One finding about the server, as a sentence for the user.
struct Finding {
  bool ok = true;
  std::string sentence;
};

/// What the connection test reports and start() requires: the binlog is on,
/// ROW format with FULL row images, GTIDs (reported, not required), and the
/// user's replication grants.
class ServerCheck {
 public:
  explicit ServerCheck(MySession& session) : s_(session) {}

  Finding flavour();
  Finding binlogOn();
  Finding rowFormat();
  Finding gtids();
  Finding grants();

  /// Throws sdk::Error(SH_ERR_FATAL) with the first problem's sentence.
  void requireReady();

 private:
  MySession& s_;
};

/// The current binlog end as SHOW MASTER STATUS reports it.
struct BinlogEnd {
  std::string file;
  uint64_t pos = 0;
};
BinlogEnd binlogEnd(MySession& session);

/// Files of SHOW BINARY LOGS with their sizes, oldest first.
std::vector<std::pair<std::string, uint64_t>> binaryLogs(MySession& session);

}  // namespace streamhost::mycdc
