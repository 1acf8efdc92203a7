#include "log_capture.h"

#include <Poco/Logger.h>
#include <Poco/Message.h>

namespace streamhost::testing {

class LogCapture::Sink : public Poco::Channel {
 public:
  void log(const Poco::Message& msg) override {
    std::lock_guard lock(mutex_);
    lines_.push_back(msg.getText());
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

LogCapture::LogCapture(const std::string& logger_name) : name_(logger_name), sink_(new Sink) {
  Poco::Logger& logger = Poco::Logger::get(name_);
  previous_ = logger.getChannel();
  previous_level_ = logger.getLevel();
  logger.setChannel(sink_);
  logger.setLevel(Poco::Message::PRIO_DEBUG);
}

LogCapture::~LogCapture() {
  Poco::Logger& logger = Poco::Logger::get(name_);
  logger.setChannel(previous_);
  logger.setLevel(previous_level_);
}

std::vector<std::string> LogCapture::lines() const { return sink_->lines(); }

std::vector<std::string> LogCapture::matching(const std::vector<std::string>& parts) const {
  std::vector<std::string> out;
  for (const auto& line : lines()) {
    bool all = true;
    for (const auto& p : parts) {
      all = all && line.find(p) != std::string::npos;
    }
    if (all) {
      out.push_back(line);
    }
  }
  return out;
}

}  // namespace streamhost::testing
