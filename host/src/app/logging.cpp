#include "app/logging.h"

#include "common/json_writer.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Formatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/PatternFormatter.h>


namespace streamhost::app {
namespace {

const char* levelName(Poco::Message::Priority p) {
  switch (p) {
    case Poco::Message::PRIO_FATAL: return "fatal";
    case Poco::Message::PRIO_CRITICAL: return "critical";
    case Poco::Message::PRIO_ERROR: return "error";
    case Poco::Message::PRIO_WARNING: return "warning";
    case Poco::Message::PRIO_NOTICE: return "notice";
    case Poco::Message::PRIO_INFORMATION: return "info";
    case Poco::Message::PRIO_DEBUG: return "debug";
    case Poco::Message::PRIO_TRACE: return "trace";
  }
  return "info";
}

class JsonFormatter : public Poco::Formatter {
 public:
  void format(const Poco::Message& msg, std::string& text) override {
    Poco::PatternFormatter ts("%Y-%m-%dT%H:%M:%S.%iZ");
    std::string when;
    ts.format(msg, when);
    text = "{\"ts\":" + jsonQuoted(when) + ",\"level\":\"" + levelName(msg.getPriority()) +
           "\",\"logger\":" + jsonQuoted(msg.getSource()) + ",\"msg\":" + jsonQuoted(msg.getText()) + "}";
  }
};

}  // namespace

void configureLogging(const std::string& level, const std::string& format) {
  Poco::AutoPtr<Poco::Channel> console(new Poco::ConsoleChannel);
  Poco::AutoPtr<Poco::Formatter> formatter;
  if (format == "json") {
    formatter = new JsonFormatter;
  } else {
    formatter = new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %q %s %t");
  }
  Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, console));
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
}

void setLogLevel(const std::string& level) { Poco::Logger::setLevel("", Poco::Logger::parseLevel(level)); }

}  // namespace streamhost::app
