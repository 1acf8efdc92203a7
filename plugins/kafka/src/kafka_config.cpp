#include "kafka_config.h"

#include <librdkafka/rdkafka.h>

#include <array>
#include <charconv>
#include <memory>
#include <regex>

namespace streamhost::kafka {
namespace {

constexpr std::array<sh_config_key_t, 9> kConnectionKeys = {
    sdk::configKey("bootstrap_servers", SH_CFG_STRING, nullptr, SH_CFG_REQUIRED,
                   "Comma-separated host:port list of brokers to start from."),
    sdk::configKey("security_protocol", SH_CFG_STRING, "\"plaintext\"", 0,
                   "plaintext, ssl, sasl_plaintext or sasl_ssl."),
    sdk::configKey("sasl_mechanism", SH_CFG_STRING, nullptr, 0, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512."),
    sdk::configKey("sasl_username", SH_CFG_STRING, nullptr, 0, "SASL user name."),
    sdk::configKey("ssl_ca_pem", SH_CFG_STRING, nullptr, 0, "CA certificate(s), PEM, to verify the brokers."),
    sdk::configKey("ssl_certificate_pem", SH_CFG_STRING, nullptr, 0, "Client certificate, PEM, for mutual TLS."),
    sdk::configKey("client_properties", SH_CFG_OBJECT, "{}", 0,
                   "Further librdkafka properties as strings, each checked by librdkafka."),
    sdk::configKey("sasl_password", SH_CFG_STRING, nullptr, SH_CFG_SECRET, "SASL password."),
    sdk::configKey("ssl_key_pem", SH_CFG_STRING, nullptr, SH_CFG_SECRET, "Client private key, PEM, for mutual TLS."),
};

constexpr std::array<sh_config_key_t, 11> kStreamKeys = {
    sdk::configKey("topics", SH_CFG_ARRAY, nullptr, 0, "Topic names to read (or topic_pattern)."),
    sdk::configKey("topic_pattern", SH_CFG_STRING, nullptr, 0, "Regular expression of topic names (or topics)."),
    sdk::configKey("group_id", SH_CFG_STRING, nullptr, 0, "Consumer group; default streamhost-<stream id>."),
    sdk::configKey("start_from", SH_CFG_ANY, "\"earliest\"", 0,
                   "Where a partition without a committed offset starts: earliest, latest or {\"timestamp_ms\": N}."),
    sdk::configKey("key_format", SH_CFG_STRING, "\"string\"", 0, "json, string or bytes (base64)."),
    sdk::configKey("value_format", SH_CFG_STRING, "\"json\"", 0, "json, string or bytes (base64)."),
    sdk::configKey("include_headers", SH_CFG_BOOL, "true", 0, "Keep Kafka headers as record headers."),
    sdk::configKey("isolation_level", SH_CFG_STRING, "\"read_committed\"", 0,
                   "read_committed or read_uncommitted."),
    sdk::configKey("max_batch_records", SH_CFG_INT, "10000", 0, "Most records handed to the host per batch."),
    sdk::configKey("max_batch_bytes", SH_CFG_INT, "8388608", 0, "Most bytes handed to the host per batch."),
    sdk::configKey("client_properties", SH_CFG_OBJECT, "{}", 0,
                   "Further librdkafka consumer properties as strings (the connection's come first)."),
};

const char* const kReservedProperties[] = {"group.id", "enable.auto.commit", "enable.auto.offset.store",
                                           "bootstrap.servers", "isolation.level"};

Properties propertiesOf(const sdk::Host& host, std::string_view key, bool connection) {
  auto json = connection ? host.connectionJson(key) : host.configJson(key);
  Properties out;
  if (!json || *json == "null") {
    return out;
  }
  auto v = sdk::parseJson(*json);
  if (!v || !v->isObject()) {
    sdk::configError(std::string(key), "must be an object of librdkafka properties");
  }
  for (const auto& [name, value] : v->members) {
    if (!value.isString()) {
      sdk::configError(std::string(key) + "." + name, "must be a string (librdkafka takes every property as text)");
    }
    for (const char* reserved : kReservedProperties) {
      if (name == reserved) {
        sdk::configError(std::string(key) + "." + name, "is set by streamhost and cannot be overridden");
      }
    }
    out.emplace_back(name, value.text);
  }
  return out;
}

std::string oneOf(const sdk::Host& host, std::string_view key, std::initializer_list<const char*> allowed,
                  bool connection, std::string_view fallback = {}) {
  std::string v = connection ? host.connectionString(key, fallback) : host.configString(key, fallback);
  for (const char* a : allowed) {
    if (v == a) {
      return v;
    }
  }
  std::string list;
  for (const char* a : allowed) {
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  sdk::configError(std::string(key), "must be one of " + list + "; got '" + v + "'");
}

}  // namespace

std::span<const sh_config_key_t> connectionConfigKeys() { return kConnectionKeys; }
std::span<const sh_config_key_t> streamConfigKeys() { return kStreamKeys; }

void checkProperties(const Properties& properties, const std::string& field_prefix) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(), rd_kafka_conf_destroy);
  char err[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      sdk::configError(field_prefix + name, err);
    }
  }
}

ConnectionConfig ConnectionConfig::fromHost(const sdk::Host& host) {
  ConnectionConfig c;
  c.bootstrap_servers = host.connectionString("bootstrap_servers");
  if (c.bootstrap_servers.empty()) {
    sdk::configError("bootstrap_servers", "is required: host:port of at least one broker");
  }
  c.security_protocol =
      oneOf(host, "security_protocol", {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"}, true, "plaintext");
  bool sasl = c.security_protocol.rfind("sasl_", 0) == 0;
  if (sasl) {
    c.sasl_mechanism = oneOf(host, "sasl_mechanism", {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, true, "PLAIN");
  } else if (!host.connectionString("sasl_mechanism").empty()) {
    sdk::configError("sasl_mechanism", "applies only with security_protocol sasl_plaintext or sasl_ssl");
  }
  c.sasl_username = host.connectionString("sasl_username");
  c.sasl_password = host.connectionString("sasl_password");
  if (sasl && c.sasl_username.empty()) {
    sdk::configError("sasl_username", "is required with SASL");
  }
  c.ssl_ca_pem = host.connectionString("ssl_ca_pem");
  c.ssl_certificate_pem = host.connectionString("ssl_certificate_pem");
  c.ssl_key_pem = host.connectionString("ssl_key_pem");
  if (c.ssl_certificate_pem.empty() != c.ssl_key_pem.empty()) {
    sdk::configError(c.ssl_key_pem.empty() ? "ssl_key_pem" : "ssl_certificate_pem",
                     "ssl_certificate_pem and the secret ssl_key_pem go together");
  }
  c.client_properties = propertiesOf(host, "client_properties", true);
  checkProperties(c.properties(), "");
  checkProperties(c.client_properties, "client_properties.");
  return c;
}

Properties ConnectionConfig::properties() const {
  Properties p = {{"bootstrap.servers", bootstrap_servers}, {"security.protocol", security_protocol}};
  if (!sasl_mechanism.empty()) {
    p.emplace_back("sasl.mechanism", sasl_mechanism);
    p.emplace_back("sasl.username", sasl_username);
    p.emplace_back("sasl.password", sasl_password);
  }
  if (!ssl_ca_pem.empty()) {
    p.emplace_back("ssl.ca.pem", ssl_ca_pem);
  }
  if (!ssl_certificate_pem.empty()) {
    p.emplace_back("ssl.certificate.pem", ssl_certificate_pem);
    p.emplace_back("ssl.key.pem", ssl_key_pem);
  }
  return p;
}

StreamConfig StreamConfig::fromHost(const sdk::Host& host, std::string_view stream_id) {
  StreamConfig c;
  auto topics_json = host.configJson("topics");
  if (topics_json && *topics_json != "null") {
    auto topics = sdk::parseJsonStringArray(*topics_json);
    if (!topics || topics->empty()) {
      sdk::configError("topics", "must be a non-empty array of topic names");
    }
    for (const auto& t : *topics) {
      if (t.empty() || t.size() > 249 || t.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789._-") != std::string::npos) {
        sdk::configError("topics", "'" + t + "' is not a Kafka topic name (1 to 249 of [a-zA-Z0-9._-])");
      }
    }
    c.topics = std::move(*topics);
  }
  c.topic_pattern = host.configString("topic_pattern");
  if (c.topics.empty() == c.topic_pattern.empty()) {
    sdk::configError(c.topics.empty() ? "topics" : "topic_pattern", "give exactly one of topics and topic_pattern");
  }
  if (!c.topic_pattern.empty()) {
    try {
      std::regex check(c.topic_pattern, std::regex::extended);
    } catch (const std::regex_error& e) {
      sdk::configError("topic_pattern", std::string("is not a valid regular expression: ") + e.what());
    }
  }
  c.group_id = host.configString("group_id", "streamhost-" + std::string(stream_id));
  if (c.group_id.empty()) {
    sdk::configError("group_id", "must not be empty");
  }
  auto start = host.configJson("start_from").value_or("\"earliest\"");
  if (auto s = sdk::parseJsonString(start)) {
    if (*s == "earliest") {
      c.start_from.kind = StartFrom::Kind::kEarliest;
    } else if (*s == "latest") {
      c.start_from.kind = StartFrom::Kind::kLatest;
    } else {
      sdk::configError("start_from", "must be earliest, latest or {\"timestamp_ms\": N}; got '" + *s + "'");
    }
  } else {
    auto v = sdk::parseJson(start);
    const sdk::JsonValue* ts = v && v->isObject() ? v->find("timestamp_ms") : nullptr;
    if (auto unknown = sdk::unknownJsonKey(start, {"timestamp_ms"})) {
      sdk::configError("start_from." + *unknown, "is not a setting of start_from (only timestamp_ms)");
    }
    int64_t ms = -1;
    if (ts != nullptr && ts->kind == sdk::JsonValue::Kind::kNumber) {
      auto r = std::from_chars(ts->raw.data(), ts->raw.data() + ts->raw.size(), ms);
      if (r.ec != std::errc() || r.ptr != ts->raw.data() + ts->raw.size()) {
        ms = -1;
      }
    }
    if (ms < 0) {
      sdk::configError("start_from.timestamp_ms", "must be a non-negative integer (Unix milliseconds)");
    }
    c.start_from.kind = StartFrom::Kind::kTimestamp;
    c.start_from.timestamp_ms = ms;
  }
  auto format = [&](std::string_view key, Format fallback) {
    std::string text = host.configString(key);
    if (text.empty()) {
      return fallback;
    }
    auto f = parseFormat(text);
    if (!f) {
      sdk::configError(std::string(key), "must be json, string or bytes; got '" + text + "'");
    }
    return *f;
  };
  c.key_format = format("key_format", Format::kString);
  c.value_format = format("value_format", Format::kJson);
  c.include_headers = host.configBool("include_headers", true);
  c.isolation_level = oneOf(host, "isolation_level", {"read_committed", "read_uncommitted"}, false, "read_committed");
  c.max_batch_records = host.configInt("max_batch_records", 10000);
  if (c.max_batch_records < 1 || c.max_batch_records > 1000000) {
    sdk::configError("max_batch_records", "must be between 1 and 1000000");
  }
  c.max_batch_bytes = host.configInt("max_batch_bytes", 8 << 20);
  if (c.max_batch_bytes < 1024 || c.max_batch_bytes > (256LL << 20)) {
    sdk::configError("max_batch_bytes", "must be between 1024 and 268435456");
  }
  c.client_properties = propertiesOf(host, "client_properties", false);
  checkProperties(c.client_properties, "client_properties.");
  return c;
}

std::vector<std::string> StreamConfig::subscription() const {
  if (!topic_pattern.empty()) {
    return {topic_pattern.front() == '^' ? topic_pattern : "^" + topic_pattern};
  }
  return topics;
}

bool StreamConfig::ownsGroup(std::string_view stream_id) const {
  return group_id == "streamhost-" + std::string(stream_id);
}

/// A librdkafka configuration from properties; errors name the property.
rd_kafka_conf_t* makeConf(const Properties& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw sdk::Error(SH_ERR_INVALID_CONFIG, "librdkafka refused " + name + ": " + err, name);
    }
  }
  return conf;
}

}  // namespace streamhost::kafka
