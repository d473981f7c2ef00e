// EdgeCluster sensor board: ESP32 + DHT22, posting readings over WiFi to any cluster member.
// Readings wait in RTC memory while no member answers and are replayed as batches, each with a
// per-device seq so that a retry is stored once. Settings are in config.h.
#include <Arduino.h>
#include <DHT.h>
#include <HTTPClient.h>
#include <Preferences.h>
#include <WiFi.h>
#include <edge_client.h>
#include <time.h>

#include "config.h"

RTC_DATA_ATTR static edge::Reading rtc_slots[BUFFER_CAPACITY];
RTC_DATA_ATTR static uint32_t rtc_head;
RTC_DATA_ATTR static uint32_t rtc_count;
RTC_DATA_ATTR static uint32_t rtc_magic;
static const uint32_t kRtcMagic = 0xEDC10001;

// The reading buffer in RTC memory; on a cold boot RTC memory holds garbage, hence the magic.
class RtcStore : public edge::ReadingStore {
 public:
  size_t capacity() const { return BUFFER_CAPACITY; }
  void write(size_t slot, const edge::Reading& reading) { rtc_slots[slot] = reading; }
  edge::Reading read(size_t slot) const { return rtc_slots[slot]; }
  void save_position(size_t head, size_t count) {
    rtc_head = head;
    rtc_count = count;
    rtc_magic = kRtcMagic;
  }
};

// HTTP through the ESP32's HTTPClient, keeping the answer body for the client's 400 handling.
class Esp32Transport : public edge::Transport {
 public:
  edge::Response post_json(const edge::Member& member, const char* path, const char* body, size_t len) {
    edge::Response response = {-1, 0, 0, 0};
    if (WiFi.status() != WL_CONNECTED) return response;
    http_.setTimeout(HTTP_TIMEOUT_MS);
    if (!http_.begin(member.host, member.port, path)) return response;
    http_.addHeader("Content-Type", "application/json");
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

static uint32_t random32() { return esp_random(); }

static void log_line(const char* message) {
  Serial.print(F("[edge] "));
  Serial.println(message);
}

static const edge::Member kMembers[] = EDGE_MEMBERS;
static RtcStore store;
static edge::ReadingBuffer* buffer;
static edge::MemberList members(kMembers, sizeof(kMembers) / sizeof(kMembers[0]));
static edge::Backoff backoff(1000, 60000);
static Esp32Transport transport;
static edge::EdgeClient* client;
static DHT dht(DHT_PIN, DHT_TYPE);
static Preferences prefs;
static uint32_t next_seq;
static uint32_t seq_block_end;
static unsigned long last_sample_ms;
static bool sampled_once;

static void reserve_seq_block() {
  seq_block_end = next_seq + SEQ_BLOCK;
  prefs.putUInt("seq", seq_block_end);
}

// Unix seconds once NTP has set the clock; 0 before, and the node then uses its own time.
static uint32_t timestamp_now() {
  const time_t now = time(nullptr);
  return now > 1577836800 ? (uint32_t)now : 0;
}

void setup() {
  Serial.begin(115200);
  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(true);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  configTime(0, 0, NTP_SERVER);
  dht.begin();

  prefs.begin("edge", false);
  next_seq = prefs.getUInt("seq", 1);
  reserve_seq_block();

  const bool warm = rtc_magic == kRtcMagic && rtc_count <= BUFFER_CAPACITY;
  static edge::ReadingBuffer rtc_buffer(store, warm ? rtc_head : 0, warm ? rtc_count : 0);
  static edge::EdgeClient edge_client(members, rtc_buffer, transport, backoff, random32, log_line);
  buffer = &rtc_buffer;
  client = &edge_client;
  Serial.printf("[edge] device %d, next seq %u, %u readings waiting\n", DEVICE_ID, (unsigned)next_seq,
                (unsigned)rtc_buffer.size());
}

void loop() {
  const unsigned long now = millis();
  if (!sampled_once || now - last_sample_ms >= SAMPLE_INTERVAL_MS) {
    sampled_once = true;
    last_sample_ms = now;
    client->record(DEVICE_ID, next_seq, dht.readTemperature(), dht.readHumidity(), timestamp_now());
    if (next_seq >= seq_block_end) reserve_seq_block();
  }
  if (WiFi.status() == WL_CONNECTED) client->poll((uint32_t)now);
  delay(10);
}
