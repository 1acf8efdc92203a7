// The Kafka side of bench/kafka_bench.sh:
//   kafka_bench_tool mock PARTITIONS TOPIC        mock cluster; prints bootstraps, runs until stdin closes
//   kafka_bench_tool produce BOOTSTRAPS TOPIC N SIZE [PARTITIONS]
//   kafka_bench_tool consume BOOTSTRAPS TOPIC N   a bare group consumer; prints msgs/s from the first
//                                                 message to the Nth (the group join is not timed)
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

long g_failed = 0;

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++g_failed;
  }
}

rd_kafka_t* client(rd_kafka_type_t type, const std::string& bootstraps, const char* group) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_dr_msg_cb(conf, onDelivery);
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof err);
  if (type == RD_KAFKA_PRODUCER) {
    rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof err);
    rd_kafka_conf_set(conf, "batch.num.messages", "10000", err, sizeof err);
  } else {
    rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {
    std::cerr << err << "\n";
    std::exit(1);
  }
  return rk;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "mock" && argc == 4) {
    rd_kafka_t* rk = client(RD_KAFKA_PRODUCER, "127.0.0.1:1", nullptr);
    rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(rk, 3);
    rd_kafka_mock_topic_create(mock, argv[3], std::atoi(argv[2]), 1);
    std::cout << rd_kafka_mock_cluster_bootstraps(mock) << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(rk);
    return 0;
  }
  if (cmd == "produce" && (argc == 6 || argc == 7)) {
    rd_kafka_t* rk = client(RD_KAFKA_PRODUCER, argv[2], nullptr);
    long n = std::atol(argv[4]);
    int partitions = argc > 6 ? std::atoi(argv[6]) : 1;
    std::string payload = "{\"n\":0,\"p\":\"" + std::string(std::max(0, std::atoi(argv[5]) - 16), 'x') + "\"}";
    for (long i = 0; i < n; ++i) {
      // Spread evenly: the mock keeps only a few MiB per partition.
      while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[3]), RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % partitions)),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_VALUE(payload.data(), payload.size()), RD_KAFKA_V_END) ==
             RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 10);
      }
    }
    rd_kafka_flush(rk, 120000);
    rd_kafka_destroy(rk);
    if (g_failed > 0) {
      std::cerr << g_failed << " messages were not delivered\n";
      return 1;
    }
    return 0;
  }
  if (cmd == "consume" && argc == 5) {
    rd_kafka_t* rk = client(RD_KAFKA_CONSUMER, argv[2], "bare-bench");
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, argv[3], RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    long n = std::atol(argv[4]);
    long got = 0;
    auto first = std::chrono::steady_clock::now();
    while (got < n) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 1000);
      if (m == nullptr) {
        continue;
      }
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (got++ == 0) {
          first = std::chrono::steady_clock::now();
        }
      }
      rd_kafka_message_destroy(m);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - first).count();
    std::printf("%.0f\n", static_cast<double>(n - 1) / secs);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
  }
  std::cerr << "usage: see the head of kafka_bench_tool.cpp\n";
  return 2;
}
