// EdgeCluster sensor board over MQTT: ESP32 + DHT22, publishing batches with QoS 1 to any cluster member's MQTT door.
// A member sends the PUBACK only once the readings are in its journal, so a reading leaves the board's buffer only
// when it is durable; without a PUBACK the board fails over to the next member and sends it again (same seq: stored
// once). MQTT library: arduino-mqtt by Joël Gähwiler (256dpi/arduino-mqtt, MIT, on lwmqtt): its publish() with QoS 1
// returns only after the PUBACK, which is what the buffer needs; PubSubClient cannot publish with QoS 1.
// Settings are in config.h.
#include <Arduino.h>
#include <DHT.h>
#include <MQTTClient.h>
#include <Preferences.h>
#include <WiFi.h>
#include <edge_client.h>

#include "config.h"

// Batches published on sensors/{device}/batch (the batch endpoint's JSON), one connection at a time to the member the
// client core prefers.
class BoardTransport : public edge::Transport {
 public:
  BoardTransport() : mqtt_(edge::EdgeClient::kBodySize + 64), member_(0) {
    snprintf(topic_, sizeof(topic_), "sensors/%d/batch", DEVICE_ID);
    snprintf(username_, sizeof(username_), "%d", DEVICE_ID);
  }

  edge::Response post_json(const edge::Member& member, const char*, const char* body, size_t len, const char* token) {
    edge::Response response = {-1, 0, 0, 0};
    if (WiFi.status() != WL_CONNECTED) return response;
    if (member_ != &member || !mqtt_.connected()) {
      mqtt_.disconnect();
      mqtt_.begin(member.host, member.port, net_);
      mqtt_.setKeepAlive(MQTT_KEEPALIVE_S);
      mqtt_.setTimeout(MQTT_TIMEOUT_MS);
      member_ = &member;
      // With device tokens on, the board logs in as itself: username its id, password its token.
      const bool login = token != 0 && token[0] != '\0';
      if (!(login ? mqtt_.connect(MQTT_CLIENT_ID, username_, token) : mqtt_.connect(MQTT_CLIENT_ID))) return response;
    }
    // QoS 1: true only once the member's PUBACK arrived (the readings are in its journal).
    if (!mqtt_.publish(topic_, body, (int)len, false, 1)) {
      mqtt_.disconnect();
      return response;
    }
    response.status = 200;
    return response;
  }

  void loop() {
    if (mqtt_.connected()) mqtt_.loop();
  }

 private:
  WiFiClient net_;
  MQTTClient mqtt_;
  const edge::Member* member_;
  char topic_[40];
  char username_[12];
};

static void board_transport_loop();

#include <edge_esp32_board.h>

static void board_transport_loop() { transport.loop(); }
