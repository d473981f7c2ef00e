// Runs the ESP32 sketch on the host against the Arduino shim: what it posts, and what it does
// when no member answers.
#include <gtest/gtest.h>

// Built twice: as the board ships (no token), and with EDGE_TEST_TOKEN as a board of a lab with device tokens on.
#ifdef EDGE_TEST_TOKEN
#define DEVICE_TOKEN "tok-1"
#endif
#include "../esp32-sensor/esp32-sensor.ino"
#include "sketch_host.h"

namespace {

using shim::boot_new_board;
using shim::run_for;

TEST(Esp32Sketch, PostsReadingsAndReplaysThemAfterAnOutageWithoutNewSeqs) {
  boot_new_board();
  run_for(100);
  ASSERT_EQ(1u, shim::http_sent.size());
  const shim::HttpExchange first = shim::http_sent[0];
  EXPECT_EQ("192.168.1.10", first.host);
  EXPECT_EQ(5000, first.port);
  EXPECT_EQ("/api/readings/batch", first.uri);
  EXPECT_EQ("application/json", first.content_type);
#ifdef EDGE_TEST_TOKEN
  EXPECT_EQ("Bearer tok-1", first.authorization);
#else
  EXPECT_EQ("", first.authorization);
#endif
  EXPECT_NE(std::string::npos, first.body.find("\"device_id\":1,\"seq\":1,\"temperature\":22.50,\"humidity\":60.00"));

  // Every member down for three samples: each attempt fails, the readings wait in the buffer.
  for (int i = 0; i < 40; ++i) shim::http_script.push_back({HTTPC_ERROR_CONNECTION_REFUSED, "", ""});
  shim::dht_temperature = 23.0f;
  run_for(3 * SAMPLE_INTERVAL_MS);
  EXPECT_EQ(3u, buffer->size());

  shim::http_script.clear();
  const size_t before = shim::http_sent.size();
  run_for(2 * 60000);
  EXPECT_TRUE(buffer->empty());
  const std::string& replay = shim::http_sent[before].body;
  EXPECT_NE(std::string::npos, replay.find("\"seq\":2,"));
  EXPECT_NE(std::string::npos, replay.find("\"seq\":4,"));
  EXPECT_EQ(8u, client->stats().sent);  // 4 before and during the outage, 4 sampled after it
  EXPECT_EQ(2u, client->stats().replayed);  // the third waited only behind the backoff, it never failed itself
}

TEST(Esp32Sketch, NeverReusesASeqAfterARestart) {
  boot_new_board();
  run_for(3 * SAMPLE_INTERVAL_MS);
  ASSERT_FALSE(shim::http_sent.empty());
  const uint32_t saved = shim::nvs["seq"];
  ASSERT_GT(saved, 1u);
  setup();  // as after a power cut: the seq starts at the saved block end
  shim::http_sent.clear();
  run_for(SAMPLE_INTERVAL_MS + 100);
  ASSERT_FALSE(shim::http_sent.empty());
  // The first reading after the restart takes the saved block end: no seq below it is sent again.
  EXPECT_NE(std::string::npos, shim::http_sent.front().body.find("\"seq\":" + std::to_string(saved) + ","));
  for (const auto& sent : shim::http_sent)
    for (uint32_t old = 1; old < saved; ++old)
      EXPECT_EQ(std::string::npos, sent.body.find("\"seq\":" + std::to_string(old) + ","));
}

TEST(Esp32Sketch, SkipsAFailedSensorRead) {
  boot_new_board();
  run_for(100);
  shim::dht_temperature = NAN;
  const uint32_t recorded = client->stats().recorded;
  run_for(SAMPLE_INTERVAL_MS + 100);
  EXPECT_EQ(recorded, client->stats().recorded);
  EXPECT_NE(std::string::npos, shim::serial_output.find("sensor read failed"));
  shim::dht_temperature = 22.5f;
}

}  // namespace
