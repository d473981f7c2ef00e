// EdgeCluster sensor board: ESP32 + DHT22, posting readings over WiFi to any cluster member.
// Readings wait in RTC memory while no member answers and are replayed as batches, each with a
// per-device seq so that a retry is stored once. Settings are in config.h.
#include <Arduino.h>
#include <DHT.h>
#include <HTTPClient.h>
#include <Preferences.h>
#include <WiFi.h>
#include <edge_client.h>

#include "config.h"

// HTTP through the ESP32's HTTPClient, keeping the answer body for the client's 400 handling.
class BoardTransport : public edge::Transport {
 public:
  edge::Response post_json(const edge::Member& member, const char* path, const char* body, size_t len, const char* token) {
    edge::Response response = {-1, 0, 0, 0};
    if (WiFi.status() != WL_CONNECTED) return response;
    http_.setTimeout(HTTP_TIMEOUT_MS);
    if (!http_.begin(member.host, member.port, path)) return response;
    http_.addHeader("Content-Type", "application/json");
    if (token != 0 && token[0] != '\0') {
      char bearer[96];
      snprintf(bearer, sizeof(bearer), "Bearer %s", token);
      http_.addHeader("Authorization", bearer);
    }
    static const char* kHeaders[] = {"Retry-After"};
    http_.collectHeaders(kHeaders, 1);
    const int code = http_.POST((uint8_t*)body, len);
    if (code > 0) {
      const String answer = http_.getString();
      answer_len_ = answer.length() < sizeof(answer_) - 1 ? answer.length() : sizeof(answer_) - 1;
      memcpy(answer_, answer.c_str(), answer_len_);
      answer_[answer_len_] = '\0';
      response.status = code;
      response.retry_after_s = (uint32_t)http_.header("Retry-After").toInt();
      response.body = answer_;
      response.body_len = answer_len_;
    }
    http_.end();
    return response;
  }

 private:
  HTTPClient http_;
  char answer_[256];
  size_t answer_len_ = 0;
};

static void board_transport_loop() {}

#include <edge_esp32_board.h>
