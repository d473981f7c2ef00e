// Runs the ESP32 MQTT sketch on the host against the Arduino shim and a scripted arduino-mqtt client: what it
// publishes, and that a reading leaves the board's buffer only on a PUBACK, failing over to the next member without one.
#include <gtest/gtest.h>

// Built twice: as the board ships (no token), and with EDGE_TEST_TOKEN as a board of a lab with device tokens on.
#ifdef EDGE_TEST_TOKEN
#define DEVICE_TOKEN "tok-1"
#endif
#include "../esp32-mqtt/esp32-mqtt.ino"
#include "sketch_host.h"

namespace {

using shim::boot_new_board;
using shim::run_for;

TEST(Esp32MqttSketch, PublishesBatchesWithQos1ToItsDeviceTopic) {
  boot_new_board();
  run_for(100);
  ASSERT_EQ(1u, shim::mqtt_sent.size());
  const shim::MqttPublish first = shim::mqtt_sent[0];
  EXPECT_EQ("192.168.1.10", first.host);
  EXPECT_EQ(1883, first.port);
  EXPECT_EQ("esp32-1", first.client_id);
#ifdef EDGE_TEST_TOKEN
  EXPECT_EQ("1", first.username);  // logs in as itself: its id and its token
  EXPECT_EQ("tok-1", first.password);
#else
  EXPECT_EQ("", first.username);
#endif
  EXPECT_EQ("sensors/1/batch", first.topic);
  EXPECT_EQ(1, first.qos);
  EXPECT_EQ(0u, first.payload.find("{\"readings\":["));
  EXPECT_NE(std::string::npos, first.payload.find("\"device_id\":1,\"seq\":1,\"temperature\":22.50,\"humidity\":60.00"));
  EXPECT_TRUE(buffer->empty());
}

TEST(Esp32MqttSketch, KeepsReadingsUntilAPubackAndFailsOverToTheNextMember) {
  boot_new_board();
  run_for(100);
  ASSERT_EQ(1u, shim::mqtt_sent.size());
  // The next sample's publish gets no PUBACK: the reading stays, and the board tries the next member at once.
  shim::mqtt_acks = {false};
  run_for(SAMPLE_INTERVAL_MS);
  ASSERT_EQ(3u, shim::mqtt_sent.size());
  EXPECT_EQ("192.168.1.10", shim::mqtt_sent[1].host);
  EXPECT_EQ("192.168.1.11", shim::mqtt_sent[2].host);
  EXPECT_EQ(shim::mqtt_sent[1].payload, shim::mqtt_sent[2].payload);  // the same seq again: stored once
  EXPECT_NE(std::string::npos, shim::mqtt_sent[2].payload.find("\"seq\":2,"));
  EXPECT_TRUE(buffer->empty());
  EXPECT_EQ(2u, client->stats().sent);
  EXPECT_EQ(1u, client->stats().replayed);

  // No WiFi: nothing is published, readings wait; back: they go in one batch.
  shim::wifi_status = WL_DISCONNECTED;
  const size_t before = shim::mqtt_sent.size();
  run_for(2 * SAMPLE_INTERVAL_MS);
  EXPECT_EQ(before, shim::mqtt_sent.size());
  EXPECT_EQ(2u, buffer->size());
  shim::wifi_status = WL_CONNECTED;
  run_for(100);
  ASSERT_EQ(before + 1, shim::mqtt_sent.size());
  EXPECT_NE(std::string::npos, shim::mqtt_sent.back().payload.find("\"seq\":3,"));
  EXPECT_NE(std::string::npos, shim::mqtt_sent.back().payload.find("\"seq\":4,"));
  EXPECT_TRUE(buffer->empty());
}

}  // namespace
