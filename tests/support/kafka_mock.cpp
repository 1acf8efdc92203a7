#include "support/kafka_mock.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace streamhost::testing {
namespace {

rd_kafka_t* asKafka(void* p) { return static_cast<rd_kafka_t*>(p); }

std::string readLine(FILE* f) {
  char buf[4096];
  if (fgets(buf, sizeof buf, f) == nullptr) {
    throw std::runtime_error("the mock cluster process ended");
  }
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  return line;
}

}  // namespace

KafkaMock::KafkaMock(int brokers) {
  int in[2];
  int out[2];
  if (pipe(in) != 0 || pipe(out) != 0) {
    throw std::runtime_error("pipe failed");
  }
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    std::string n = std::to_string(brokers);
    execl(STREAMHOST_TEST_KAFKA_MOCK, STREAMHOST_TEST_KAFKA_MOCK, n.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_child_ = in[1];
  from_child_ = fdopen(out[0], "r");
  std::string first = readLine(from_child_);
  if (first.rfind("bootstraps ", 0) != 0) {
    throw std::runtime_error("the mock cluster said: " + first);
  }
  bootstraps_ = first.substr(11);
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (producer_ == nullptr) {
    throw std::runtime_error(std::string("producer: ") + err);
  }
}

KafkaMock::~KafkaMock() {
  if (producer_ != nullptr) {
    rd_kafka_flush(asKafka(producer_), 5000);
    rd_kafka_destroy(asKafka(producer_));
  }
  if (to_child_ >= 0) {
    (void)!write(to_child_, "quit\n", 5);
    close(to_child_);
  }
  if (from_child_ != nullptr) {
    fclose(from_child_);
  }
  if (pid_ > 0) {
    int status = 0;
    for (int i = 0; i < 50 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      usleep(100000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
}

void KafkaMock::command(const std::string& line) {
  std::string l = line + "\n";
  if (write(to_child_, l.data(), l.size()) != static_cast<ssize_t>(l.size())) {
    throw std::runtime_error("cannot talk to the mock cluster");
  }
  std::string answer = readLine(from_child_);
  if (answer != "ok") {
    throw std::runtime_error(line + ": " + answer);
  }
}

void KafkaMock::createTopic(const std::string& name, int partitions) {
  command("topic " + name + " " + std::to_string(partitions));
}
void KafkaMock::brokerDown(int id) { command("down " + std::to_string(id)); }
void KafkaMock::brokerUp(int id) { command("up " + std::to_string(id)); }

void KafkaMock::produce(const std::string& topic, const std::vector<KafkaMessage>& messages) {
  rd_kafka_t* rk = asKafka(producer_);
  for (const auto& m : messages) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(m.headers.size());
    for (const auto& [k, v] : m.headers) {
      rd_kafka_header_add(hdrs, k.data(), static_cast<ssize_t>(k.size()), v.data(), static_cast<ssize_t>(v.size()));
    }
    void* key = m.key ? const_cast<char*>(m.key->data()) : nullptr;
    size_t key_len = m.key ? m.key->size() : 0;
    void* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;
    size_t value_len = m.value ? m.value->size() : 0;
    rd_kafka_resp_err_t e;
    while (true) {
      e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(m.partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        break;
      }
      rd_kafka_poll(rk, 50);
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(hdrs);
      throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
    }
  }
  if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("produce: not acknowledged within 30 s");
  }
}

void KafkaMock::produceInTransaction(const std::string& topic, const std::vector<KafkaMessage>& messages,
                                     bool commit) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
  std::string txn_id = "test-txn-" + topic + (commit ? "-c" : "-a");
  rd_kafka_conf_set(conf, "transactional.id", txn_id.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    throw std::runtime_error(std::string("transactional producer: ") + err);
  }
  auto check = [rk](rd_kafka_error_t* e, const char* what) {
    if (e != nullptr) {
      std::string msg = std::string(what) + ": " + rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      rd_kafka_destroy(rk);
      throw std::runtime_error(msg);
    }
  };
  check(rd_kafka_init_transactions(rk, 30000), "init_transactions");
  check(rd_kafka_begin_transaction(rk), "begin_transaction");
  for (const auto& m : messages) {
    void* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;
    size_t value_len = m.value ? m.value->size() : 0;
    void* key = m.key ? const_cast<char*>(m.key->data()) : nullptr;
    size_t key_len = m.key ? m.key->size() : 0;
    rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(m.partition),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                                              RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_destroy(rk);
      throw std::runtime_error(std::string("transactional produce: ") + rd_kafka_err2str(e));
    }
  }
  if (commit) {
    check(rd_kafka_commit_transaction(rk, 30000), "commit_transaction");
  } else {
    rd_kafka_flush(rk, 30000);
    check(rd_kafka_abort_transaction(rk, 30000), "abort_transaction");
  }
  rd_kafka_destroy(rk);
}

std::pair<int64_t, int64_t> KafkaMock::watermarks(const std::string& topic, int32_t partition) {
  int64_t low = 0;
  int64_t high = 0;
  rd_kafka_resp_err_t e =
      rd_kafka_query_watermark_offsets(asKafka(producer_), topic.c_str(), partition, &low, &high, 10000);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(e));
  }
  return {low, high};
}

std::map<int32_t, int64_t> KafkaMock::committed(const std::string& group, const std::string& topic,
                                                int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) {
    throw std::runtime_error(std::string("consumer: ") + err);
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  }
  rd_kafka_resp_err_t e = rd_kafka_committed(rk, list, 10000);
  std::map<int32_t, int64_t> out;
  for (int i = 0; e == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
    if (list->elems[i].offset >= 0) {
      out[list->elems[i].partition] = list->elems[i].offset;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(std::string("committed: ") + rd_kafka_err2str(e));
  }
  return out;
}

}  // namespace streamhost::testing
