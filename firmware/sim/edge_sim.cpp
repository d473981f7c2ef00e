// edge-sim: N simulated sensor boards built on the firmware's client core, posting to a real
// cluster over HTTP. Each device numbers its readings 1, 2, 3, ... and keeps them while no member
// answers, exactly as a board does.
//   edge-sim --members http://127.0.0.1:5000,http://127.0.0.1:5001 --devices 50 --rate 2/s --duration 60s
//   edge-sim --mqtt --members mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884 ...   (QoS 1, one connection per device)
//   edge-sim ... --token-file tokens.txt   (a lab with device tokens on: "DEVICE_ID TOKEN" per line)
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "edge_client.h"
#include "mosquitto_transport.h"
#include "posix_transport.h"

namespace {

using Clock = std::chrono::steady_clock;

class VectorStore : public edge::ReadingStore {
 public:
  explicit VectorStore(size_t capacity) : slots_(capacity) {}
  size_t capacity() const override { return slots_.size(); }
  void write(size_t slot, const edge::Reading& reading) override { slots_[slot] = reading; }
  edge::Reading read(size_t slot) const override { return slots_[slot]; }

 private:
  std::vector<edge::Reading> slots_;
};

struct Options {
  std::vector<std::string> hosts;
  std::vector<uint16_t> ports;
  int devices = 10;
  int first_device = 1;
  double rate = 1.0;  // readings per second per device
  double duration_s = 10;
  double drain_s = 60;
  size_t buffer = 1000;
  int timeout_ms = 2000;
  std::string report;
  std::string token_file;
  bool mqtt = false;
};

[[noreturn]] void usage(const char* error) {
  fprintf(stderr, "edge-sim: %s\n", error);
  fprintf(stderr,
          "usage: edge-sim [--mqtt] --members http://HOST:PORT[,...] | mqtt://HOST:PORT[,...] [--devices N] [--first-device K] [--rate R/s]\n"
          "                [--duration Ns] [--drain Ns] [--buffer N] [--timeout-ms N] [--report FILE] [--token-file FILE]\n");
  exit(2);
}

double parse_number(const std::string& text, const char* option) {
  char* end = nullptr;
  const double value = strtod(text.c_str(), &end);
  const std::string rest = end;
  if (end == text.c_str() || !(rest.empty() || rest == "s" || rest == "/s") || value < 0)
    usage((std::string(option) + " needs a non-negative number, got '" + text + "'").c_str());
  return value;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--mqtt") {
      o.mqtt = true;
      continue;
    }
    if (i + 1 >= argc) usage((name + " needs a value").c_str());
    const std::string value = argv[++i];
    if (name == "--members") {
      size_t start = 0;
      while (start <= value.size()) {
        const size_t comma = value.find(',', start);
        std::string url = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (url.rfind("http://", 0) == 0) url = url.substr(7);
        if (url.rfind("mqtt://", 0) == 0) {
          url = url.substr(7);
          o.mqtt = true;
        }
        while (!url.empty() && url.back() == '/') url.pop_back();
        const size_t colon = url.rfind(':');
        if (colon == std::string::npos || colon == 0) usage(("member '" + url + "' must be http://host:port").c_str());
        o.hosts.push_back(url.substr(0, colon));
        o.ports.push_back(static_cast<uint16_t>(parse_number(url.substr(colon + 1), "--members port")));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (name == "--devices") o.devices = static_cast<int>(parse_number(value, "--devices"));
    else if (name == "--first-device") o.first_device = static_cast<int>(parse_number(value, "--first-device"));
    else if (name == "--rate") o.rate = parse_number(value, "--rate");
    else if (name == "--duration") o.duration_s = parse_number(value, "--duration");
    else if (name == "--drain") o.drain_s = parse_number(value, "--drain");
    else if (name == "--buffer") o.buffer = static_cast<size_t>(parse_number(value, "--buffer"));
    else if (name == "--timeout-ms") o.timeout_ms = static_cast<int>(parse_number(value, "--timeout-ms"));
    else if (name == "--report") o.report = value;
    else if (name == "--token-file") o.token_file = value;
    else usage(("unknown option " + name).c_str());
  }
  if (o.hosts.empty()) usage("--members is required");
  if (o.devices < 1 || o.first_device < 1 || o.rate <= 0 || o.buffer < 1) usage("devices, rate and buffer must be positive");
  return o;
}

// The tokens of a lab with device tokens on: one "DEVICE_ID TOKEN" per line (# starts a comment). Every simulated
// device must have one.
std::map<uint32_t, std::string> read_tokens(const Options& o) {
  std::map<uint32_t, std::string> tokens;
  if (o.token_file.empty()) return tokens;
  std::ifstream in(o.token_file);
  if (!in) usage(("--token-file: cannot read " + o.token_file).c_str());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    uint32_t id = 0;
    std::string token;
    if (!(fields >> id >> token)) usage(("--token-file: '" + line + "' is not DEVICE_ID TOKEN").c_str());
    tokens[id] = token;
  }
  for (int d = 0; d < o.devices; ++d)
    if (tokens.count(static_cast<uint32_t>(o.first_device + d)) == 0)
      usage(("--token-file has no token for device " + std::to_string(o.first_device + d)).c_str());
  return tokens;
}

std::mt19937 rng(12345);
uint32_t random32() { return static_cast<uint32_t>(rng()); }

struct Device {
  uint32_t id;
  uint32_t next_seq = 1;
  double next_sample_ms;
  std::unique_ptr<VectorStore> store;
  std::unique_ptr<edge::ReadingBuffer> buffer;
  std::unique_ptr<edge::MemberList> members;
  std::unique_ptr<edge::Backoff> backoff;
  std::unique_ptr<edge::Transport> mqtt;  // with --mqtt: the board's own connection
  std::unique_ptr<edge::EdgeClient> client;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::map<uint32_t, std::string> tokens = read_tokens(o);
  std::vector<edge::Member> members;
  for (size_t i = 0; i < o.hosts.size(); ++i) members.push_back(edge::Member{o.hosts[i].c_str(), o.ports[i]});
  edge::PosixTransport transport(o.timeout_ms);
  if (o.mqtt) edge::MosquittoTransport::init();

  const double period_ms = 1000.0 / o.rate;
  std::vector<Device> devices(static_cast<size_t>(o.devices));
  for (int d = 0; d < o.devices; ++d) {
    Device& dev = devices[static_cast<size_t>(d)];
    dev.id = static_cast<uint32_t>(o.first_device + d);
    dev.next_sample_ms = period_ms * d / o.devices;
    dev.store.reset(new VectorStore(o.buffer));
    dev.buffer.reset(new edge::ReadingBuffer(*dev.store));
    // Boards start on different members, as a lab's boards are configured.
    dev.members.reset(new edge::MemberList(members.data(), members.size()));
    for (int k = 0; k < d % static_cast<int>(members.size()); ++k) dev.members->fail_over();
    dev.backoff.reset(new edge::Backoff(250, 5000));
    if (o.mqtt) dev.mqtt.reset(new edge::MosquittoTransport(dev.id, o.timeout_ms));
    dev.client.reset(new edge::EdgeClient(*dev.members, *dev.buffer, o.mqtt ? *dev.mqtt : static_cast<edge::Transport&>(transport),
                                          *dev.backoff, random32));
    if (tokens.count(dev.id) > 0) dev.client->set_token(tokens.at(dev.id).c_str());
  }

  const auto start = Clock::now();
  auto elapsed_ms = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); };
  auto totals = [&](uint32_t& generated, uint32_t& sent, uint32_t& buffered, uint32_t& replayed, uint32_t& dropped,
                    uint32_t& failures) {
    generated = sent = buffered = replayed = dropped = failures = 0;
    for (const Device& dev : devices) {
      generated += dev.next_seq - 1;
      sent += dev.client->stats().sent;
      buffered += static_cast<uint32_t>(dev.buffer->size());
      replayed += dev.client->stats().replayed;
      dropped += dev.client->stats().dropped;
      failures += dev.client->stats().failures;
    }
  };
  auto print = [&](const char* label) {
    uint32_t generated, sent, buffered, replayed, dropped, failures;
    totals(generated, sent, buffered, replayed, dropped, failures);
    printf("%s t=%.1fs generated=%u sent=%u buffered=%u replayed=%u dropped=%u failed_attempts=%u\n", label,
           elapsed_ms() / 1000.0, generated, sent, buffered, replayed, dropped, failures);
    fflush(stdout);
  };

  const double duration_ms = o.duration_s * 1000.0;
  const double drain_until_ms = duration_ms + o.drain_s * 1000.0;
  double next_print_ms = 5000;
  for (;;) {
    const double now = elapsed_ms();
    bool busy = false;
    bool pending = false;
    for (Device& dev : devices) {
      while (now < duration_ms && dev.next_sample_ms <= now) {
        const float t = 20.0f + 5.0f * static_cast<float>(rng() % 1000) / 1000.0f;
        const float h = 40.0f + 20.0f * static_cast<float>(rng() % 1000) / 1000.0f;
        dev.client->record(dev.id, dev.next_seq, t, h, static_cast<uint32_t>(time(nullptr)));
        dev.next_sample_ms += period_ms;
      }
      busy |= dev.client->poll(static_cast<uint32_t>(now));
      pending |= !dev.buffer->empty();
    }
    if (now >= next_print_ms) {
      print("progress");
      next_print_ms += 5000;
    }
    if (now >= duration_ms && (!pending || now >= drain_until_ms)) break;
    if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  uint32_t generated, sent, buffered, replayed, dropped, failures;
  totals(generated, sent, buffered, replayed, dropped, failures);
  print("done");
  if (!o.report.empty()) {
    FILE* f = fopen(o.report.c_str(), "w");
    if (f == nullptr) {
      perror(o.report.c_str());
      return 2;
    }
    fprintf(f, "{\"generated\":%u,\"sent\":%u,\"unsent\":%u,\"replayed\":%u,\"dropped\":%u,\"devices\":[", generated, sent,
            buffered, replayed, dropped);
    for (size_t i = 0; i < devices.size(); ++i)
      fprintf(f, "%s{\"device_id\":%u,\"generated\":%u}", i ? "," : "", devices[i].id, devices[i].next_seq - 1);
    fprintf(f, "]}\n");
    fclose(f);
  }
  return buffered == 0 && dropped == 0 ? 0 : 1;
}
