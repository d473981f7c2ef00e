#include "mosquitto_transport.h"

#include <mosquitto.h>

#include <chrono>
#include <cstdio>

namespace edge {

void MosquittoTransport::init() { mosquitto_lib_init(); }

MosquittoTransport::MosquittoTransport(uint32_t device_id, int timeout_ms) : timeout_ms_(timeout_ms) {
  char id[40];
  snprintf(id, sizeof id, "edge-sim-%u", device_id);
  client_ = mosquitto_new(id, true, this);
  topic_ = "sensors/" + std::to_string(device_id) + "/batch";
  username_ = std::to_string(device_id);
  mosquitto_connect_callback_set(client_, [](mosquitto*, void* self, int rc) {
    auto* t = static_cast<MosquittoTransport*>(self);
    t->connected_ = rc == 0;
    t->refused_ = rc != 0;
  });
  mosquitto_disconnect_callback_set(client_, [](mosquitto*, void* self, int) { static_cast<MosquittoTransport*>(self)->connected_ = false; });
  mosquitto_publish_callback_set(client_, [](mosquitto*, void* self, int mid) { static_cast<MosquittoTransport*>(self)->acked_.insert(mid); });
}

MosquittoTransport::~MosquittoTransport() { mosquitto_destroy(client_); }

// Runs the client's network loop until the condition holds, the connection is lost, or the timeout passes.
bool MosquittoTransport::wait(bool (MosquittoTransport::*done)() const) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  while (!(this->*done)()) {
    if (std::chrono::steady_clock::now() >= until || refused_) return false;
    if (mosquitto_loop(client_, 20, 1) != MOSQ_ERR_SUCCESS) return false;
  }
  return true;
}

bool MosquittoTransport::connect(const Member& member) {
  if (member_ == &member && connected_) return true;
  if (connected_) mosquitto_disconnect(client_);
  connected_ = refused_ = false;
  member_ = &member;
  if (mosquitto_connect(client_, member.host, member.port, 60) != MOSQ_ERR_SUCCESS) return false;
  return wait(&MosquittoTransport::is_connected);
}

Response MosquittoTransport::post_json(const Member& member, const char*, const char* body, size_t body_len, const char* token) {
  Response response = {-1, 0, 0, 0};
  // With device tokens on, the board logs in as itself: username its id, password its token.
  if (token != nullptr && *token != '\0') mosquitto_username_pw_set(client_, username_.c_str(), token);
  if (!connect(member)) return response;
  int mid = 0;
  if (mosquitto_publish(client_, &mid, topic_.c_str(), static_cast<int>(body_len), body, 1, false) != MOSQ_ERR_SUCCESS) return response;
  waiting_mid_ = mid;
  const bool acked = wait(&MosquittoTransport::is_acked);
  acked_.erase(mid);
  if (!acked) {
    mosquitto_disconnect(client_);
    connected_ = false;
    return response;
  }
  response.status = 200;
  return response;
}

}  // namespace edge
