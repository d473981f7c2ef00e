// MQTT over libmosquitto (Debian's libmosquitto-dev) for the simulator: one connection per simulated board, batches
// published with QoS 1 on sensors/{device}/batch, answered 200 only when the member's PUBACK arrived.
#ifndef EDGE_MOSQUITTO_TRANSPORT_H
#define EDGE_MOSQUITTO_TRANSPORT_H

#include <set>
#include <string>

#include "edge_client.h"

struct mosquitto;

namespace edge {

class MosquittoTransport : public Transport {
 public:
  MosquittoTransport(uint32_t device_id, int timeout_ms);
  ~MosquittoTransport() override;
  MosquittoTransport(const MosquittoTransport&) = delete;
  MosquittoTransport& operator=(const MosquittoTransport&) = delete;
  Response post_json(const Member& member, const char* path, const char* body, size_t body_len, const char* token) override;

  static void init();

 private:
  bool connect(const Member& member);
  bool wait(bool (MosquittoTransport::*done)() const);
  bool is_connected() const { return connected_; }
  bool is_acked() const { return acked_.count(waiting_mid_) > 0; }

  mosquitto* client_;
  std::string topic_;
  std::string username_;
  int timeout_ms_;
  const Member* member_ = nullptr;
  bool connected_ = false;
  bool refused_ = false;
  int waiting_mid_ = -1;
  std::set<int> acked_;
};

}  // namespace edge

#endif
