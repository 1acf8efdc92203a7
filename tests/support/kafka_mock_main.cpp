// A librdkafka mock cluster in a process of its own, so streamhostd reaches it
// over TCP like a real cluster. Prints "bootstraps HOST:PORT,..." and then
// answers commands on stdin, one per line, with "ok" or "error <why>":
//   topic NAME PARTITIONS     create a topic (replication factor 1)
//   down BROKER_ID | up BROKER_ID
//   quit
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  int brokers = argc > 1 ? std::atoi(argv[1]) : 3;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    std::cerr << "cannot create the handle: " << err << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(rk, brokers);
  if (mock == nullptr) {
    std::cerr << "cannot create the mock cluster\n";
    return 1;
  }
  std::cout << "bootstraps " << rd_kafka_mock_cluster_bootstraps(mock) << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "quit") {
      break;
    }
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cmd == "topic") {
      std::string name;
      int partitions = 1;
      in >> name >> partitions;
      e = rd_kafka_mock_topic_create(mock, name.c_str(), partitions, 1);
    } else if (cmd == "down" || cmd == "up") {
      int id = 0;
      in >> id;
      e = cmd == "down" ? rd_kafka_mock_broker_set_down(mock, id) : rd_kafka_mock_broker_set_up(mock, id);
    } else {
      std::cout << "error unknown command" << std::endl;
      continue;
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cout << "error " << rd_kafka_err2str(e) << std::endl;
    } else {
      std::cout << "ok" << std::endl;
    }
  }
  rd_kafka_mock_cluster_destroy(mock);
  rd_kafka_destroy(rk);
  return 0;
}
