// The ESP32 sensor board's sketch body, shared by the HTTP sketch (esp32-sensor) and the MQTT sketch (esp32-mqtt):
// DHT22 sampling, a per-device seq saved to flash in blocks, the reading buffer in RTC memory and the client core.
// A sketch includes its libraries and config.h, defines `BoardTransport` (an edge::Transport) and
// `board_transport_loop()`, then includes this file once.
#ifndef EDGE_ESP32_BOARD_H
#define EDGE_ESP32_BOARD_H

#include <Arduino.h>
#include <DHT.h>
#include <Preferences.h>
#include <WiFi.h>
#include <time.h>

#include "edge_client.h"

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
static BoardTransport transport;
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
  edge_client.set_token(DEVICE_TOKEN);
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
  board_transport_loop();
  if (WiFi.status() == WL_CONNECTED) client->poll((uint32_t)now);
  delay(10);
}

#endif
