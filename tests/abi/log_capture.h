#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>

#include <mutex>
#include <string>
#include <vector>

namespace streamhost::testing {

/// Collects the lines logged to one Poco logger while alive, then restores it.
class LogCapture {
 public:
  explicit LogCapture(const std::string& logger_name);
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() const;
  /// Lines containing every one of `parts`.
  std::vector<std::string> matching(const std::vector<std::string>& parts) const;

 private:
  class Sink;
  std::string name_;
  Poco::AutoPtr<Sink> sink_;
  Poco::AutoPtr<Poco::Channel> previous_;
  int previous_level_;
};

}  // namespace streamhost::testing
