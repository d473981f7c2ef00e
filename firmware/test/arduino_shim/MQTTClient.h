#pragma once
#include <vector>

#include "Arduino.h"
#include "WiFi.h"

// The part of arduino-mqtt's MQTTClient (256dpi/arduino-mqtt) the MQTT sketch calls, scripted by the test: what it
// connected to and published, and whether each connect and QoS 1 publish got its CONNACK / PUBACK.
namespace shim {
struct MqttPublish {
  std::string host;
  int port;
  std::string client_id;
  std::string username;  // the login the connection used, "" for none
  std::string password;
  std::string topic;
  std::string payload;
  int qos;
};
extern std::vector<MqttPublish> mqtt_sent;
extern std::vector<bool> mqtt_acks;  // answered in order; acknowledged when empty
extern int mqtt_connects;
}  // namespace shim

class MQTTClient {
 public:
  explicit MQTTClient(int buffer_size) : buffer_size_(buffer_size) {}
  void begin(const char* host, int port, Client&) {
    host_ = host;
    port_ = port;
  }
  void setKeepAlive(int) {}
  void setTimeout(int) {}
  bool connect(const char* client_id) { return connect(client_id, "", ""); }
  bool connect(const char* client_id, const char* username, const char* password) {
    ++shim::mqtt_connects;
    client_id_ = client_id;
    username_ = username;
    password_ = password;
    connected_ = shim::wifi_status == WL_CONNECTED;
    return connected_;
  }
  bool connected() { return connected_; }
  bool disconnect() {
    connected_ = false;
    return true;
  }
  bool loop() { return connected_; }
  bool publish(const char* topic, const char* payload, int length, bool, int qos) {
    if (!connected_ || length > buffer_size_) return false;
    shim::mqtt_sent.push_back({host_, port_, client_id_, username_, password_, topic, std::string(payload, static_cast<size_t>(length)), qos});
    const bool acked = shim::mqtt_acks.empty() ? true : shim::mqtt_acks.front();
    if (!shim::mqtt_acks.empty()) shim::mqtt_acks.erase(shim::mqtt_acks.begin());
    return acked;
  }

 private:
  int buffer_size_;
  std::string host_;
  int port_ = 0;
  std::string client_id_;
  std::string username_;
  std::string password_;
  bool connected_ = false;
};
