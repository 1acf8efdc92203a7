// What the kafka source does beside reading: delete (teardown), lag, and the
// connection test.
#include <algorithm>

#include "api_versions.h"
#include "kafka_source.h"

namespace streamhost::kafka {
namespace {

constexpr int kBrokerTimeoutMs = 10000;

/// "3 active members" from the group's description; only called where the
/// cluster answered that it supports DescribeGroups.
std::string activeMembers(rd_kafka_t* rk, const std::string& group) {
  const rd_kafka_group_list* list = nullptr;
  if (rd_kafka_list_groups(rk, group.c_str(), &list, kBrokerTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      list == nullptr) {
    return "active members";
  }
  int members = list->group_cnt == 1 ? list->groups[0].member_cnt : -1;
  rd_kafka_group_list_destroy(list);
  if (members < 0) {
    return "active members";
  }
  return std::to_string(members) + (members == 1 ? " active member" : " active members");
}

}  // namespace

std::vector<std::string> KafkaSource::teardown(bool force) {
  stop();
  if (!config_.ownsGroup(stream_id_)) {
    return {"kept consumer group " + config_.group_id + ": it was named in config.group_id, not made by this stream"};
  }
  std::string why;
  auto apis = connection_.security_protocol == "plaintext"
                  ? supportedApis(connection_.bootstrap_servers, kBrokerTimeoutMs, why)
                  : std::nullopt;
  if (connection_.security_protocol != "plaintext") {
    why = "the broker's API versions can only be checked over plaintext";
  }
  if (!apis || apis->count(kApiDeleteGroups) == 0 || apis->count(kApiDescribeGroups) == 0) {
    // librdkafka 2.0 aborts the process on an admin request the broker lacks.
    return {"kept consumer group " + config_.group_id + ": the cluster " +
            (apis ? std::string("does not support deleting consumer groups (DeleteGroups)")
                  : "could not be asked which requests it supports (" + why + ")")};
  }
  Properties props = connection_.properties();
  props.insert(props.end(), connection_.client_properties.begin(), connection_.client_properties.end());
  char err[512];
  rd_kafka_conf_t* conf = makeConf(props);
  KafkaPtr admin(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!admin) {
    rd_kafka_conf_destroy(conf);
    throw sdk::Error(SH_ERR_TRANSIENT, std::string("cannot create a Kafka admin client: ") + err);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
  rd_kafka_DeleteGroup_t* group = rd_kafka_DeleteGroup_new(config_.group_id.c_str());
  rd_kafka_DeleteGroups(admin.get(), &group, 1, nullptr, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, kBrokerTimeoutMs);
  std::string outcome;
  rd_kafka_resp_err_t group_err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (ev != nullptr) {
    const rd_kafka_DeleteGroups_result_t* res = rd_kafka_event_DeleteGroups_result(ev);
    size_t n = 0;
    const rd_kafka_group_result_t** groups = res != nullptr ? rd_kafka_DeleteGroups_result_groups(res, &n) : nullptr;
    if (n == 1) {
      const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[0]);
      group_err = e != nullptr ? rd_kafka_error_code(e) : RD_KAFKA_RESP_ERR_NO_ERROR;
      outcome = e != nullptr ? rd_kafka_error_string(e) : "";
    } else {
      group_err = rd_kafka_event_error(ev);
      outcome = rd_kafka_event_error_string(ev);
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_DeleteGroup_destroy(group);
  rd_kafka_queue_destroy(queue);
  if (group_err == RD_KAFKA_RESP_ERR_NO_ERROR || group_err == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
    return {"deleted consumer group " + config_.group_id};
  }
  if (group_err == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP && !force) {
    throw sdk::Error(SH_ERR_BUSY, "consumer group " + config_.group_id + " still has " +
                                      activeMembers(admin.get(), config_.group_id) +
                                      "; stop them or delete with force=true");
  }
  return {"kept consumer group " + config_.group_id + ": " + (outcome.empty() ? "no answer" : outcome)};
}

sdk::Lag KafkaSource::lag() {
  sdk::Lag out;
  if (!rk_) {
    return out;
  }
  int64_t total = 0;
  for (const auto& tp : assigned_) {
    int64_t low = 0;
    int64_t high = 0;
    if (rd_kafka_get_watermark_offsets(rk_.get(), tp.topic.c_str(), tp.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      return out;  // not known yet
    }
    auto it = durable_.find(tp);
    int64_t pos = it != durable_.end() ? it->second : low;
    int64_t lag = std::max<int64_t>(0, high - pos);
    host().gauge("lag." + tp.topic + "." + std::to_string(tp.partition), static_cast<double>(lag));
    total += lag;
  }
  out.records = total;
  out.ms = total > 0 && last_ts_ms_ > 0 ? std::max<int64_t>(0, host().nowMs() - last_ts_ms_) : 0;
  return out;
}

std::string KafkaConnection::test(const sdk::Host& host) {
  ConnectionConfig c = ConnectionConfig::fromHost(host);
  Properties props = c.properties();
  props.insert(props.end(), c.client_properties.begin(), c.client_properties.end());
  props.emplace_back("socket.timeout.ms", "5000");
  rd_kafka_conf_t* conf = makeConf(props);
  char err[512];
  KafkaPtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw sdk::Error(SH_ERR_INVALID_CONFIG, std::string("cannot create a Kafka client: ") + err);
  }
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk.get(), 1, nullptr, &md, 5000);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw sdk::Error(SH_ERR_TRANSIENT, "Could not reach the Kafka cluster at " + c.bootstrap_servers +
                                           " within 5 s: " + rd_kafka_err2str(e) + ".");
  }
  int brokers = md->broker_cnt;
  int topics = md->topic_cnt;
  rd_kafka_metadata_destroy(md);
  char* id = rd_kafka_clusterid(rk.get(), 5000);
  std::string cluster = id != nullptr ? id : "unknown";
  if (id != nullptr) {
    rd_kafka_mem_free(rk.get(), id);
  }
  return std::to_string(brokers) + (brokers == 1 ? " broker answers." : " brokers answer.") + " The cluster id is " +
         cluster + ". " + std::to_string(topics) + (topics == 1 ? " topic is" : " topics are") + " visible.";
}

}  // namespace streamhost::kafka
