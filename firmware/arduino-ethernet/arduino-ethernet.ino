// EdgeCluster sensor board: Arduino Uno + Ethernet shield + DHT22, sending the lab's request
//   GET /api/reading?device_id=1&seq=7&temperature=22.5&humidity=65.0
// to any cluster member. An Uno has 2 KB of RAM, so it uses the parts of the client core that fit:
// a buffer of 8 readings, member failover and backoff; one reading per request, strings in flash.
// The Uno has no clock: the node stamps each reading with the time it arrives.
#include <DHT.h>
#include <EEPROM.h>
#include <Ethernet.h>
#include <SPI.h>
#include <edge_client.h>

// Every board on a LAN needs its own MAC address: change the last byte for each board.
static byte mac[] = {0xDE, 0xAD, 0xBE, 0xEF, 0xFE, 0x01};
static const edge::Member kMembers[] = {{"192.168.1.10", 5000}, {"192.168.1.11", 5000}, {"192.168.1.12", 5000}};
#define DEVICE_ID 2
// The token the device's registration answered, when the nodes run with --device-auth tokens ("" when they do not):
// sent as one more parameter of the lab's request, &token=...
#ifndef DEVICE_TOKEN
#define DEVICE_TOKEN ""
#endif
#define DHT_PIN 2
#define SAMPLE_INTERVAL_MS 30000UL
#define ANSWER_TIMEOUT_MS 5000UL
#define SEQ_BLOCK 100
#define SEQ_ADDRESS 0

static DHT dht(DHT_PIN, DHT22);
static edge::RamStore<8> store;
static edge::ReadingBuffer buffer(store);
static edge::MemberList members(kMembers, sizeof(kMembers) / sizeof(kMembers[0]));
static edge::Backoff backoff(2000, 60000);
static uint32_t next_seq;
static uint32_t seq_block_end;
static unsigned long last_sample_ms;
static unsigned long next_attempt_ms;
static bool sampled_once;

// The seq is kept in EEPROM a block at a time, so a reset never reuses one.
static void reserve_seq_block() {
  seq_block_end = next_seq + SEQ_BLOCK;
  EEPROM.put(SEQ_ADDRESS, seq_block_end);
}

// Sends one reading; returns the HTTP status, or -1 when the member did not answer.
static int send_reading(const edge::Member& member, const edge::Reading& r) {
  EthernetClient client;
  if (!client.connect(member.host, member.port)) return -1;
  client.print(F("GET /api/reading?device_id="));
  client.print(r.device_id);
  client.print(F("&seq="));
  client.print(r.seq);
  client.print(F("&temperature="));
  client.print(r.temperature, 1);
  client.print(F("&humidity="));
  client.print(r.humidity, 1);
  if (DEVICE_TOKEN[0] != '\0') {
    client.print(F("&token="));
    client.print(F(DEVICE_TOKEN));
  }
  client.println(F(" HTTP/1.1"));
  client.print(F("Host: "));
  client.println(member.host);
  client.println(F("Connection: close"));
  client.println();

  // The status is the number after the first space of "HTTP/1.1 200 OK".
  const unsigned long start = millis();
  int status = -1;
  bool in_code = false;
  while (millis() - start < ANSWER_TIMEOUT_MS && (client.connected() || client.available())) {
    if (!client.available()) { delay(1); continue; }
    const char c = (char)client.read();
    if (!in_code) { in_code = c == ' '; if (in_code) status = 0; continue; }
    if (c < '0' || c > '9') break;
    status = status * 10 + (c - '0');
  }
  client.stop();
  return status;
}

void setup() {
  Serial.begin(9600);
  dht.begin();
  EEPROM.get(SEQ_ADDRESS, next_seq);
  if (next_seq == 0xFFFFFFFFUL || next_seq == 0) next_seq = 1;  // a new board: EEPROM erased
  reserve_seq_block();
  if (Ethernet.begin(mac) == 0) Serial.println(F("DHCP failed: check the cable and the MAC"));
  Serial.print(F("device "));
  Serial.print(DEVICE_ID);
  Serial.print(F(", next seq "));
  Serial.println(next_seq);
}

void loop() {
  const unsigned long now = millis();
  if (!sampled_once || now - last_sample_ms >= SAMPLE_INTERVAL_MS) {
    sampled_once = true;
    last_sample_ms = now;
    const float t = dht.readTemperature();
    const float h = dht.readHumidity();
    if (isnan(t) || isnan(h)) {
      Serial.println(F("DHT read failed"));
    } else {
      edge::Reading r = {DEVICE_ID, next_seq++, t, h, 0};
      if (next_seq >= seq_block_end) reserve_seq_block();
      buffer.push(r);
    }
  }

  if (!buffer.empty() && (long)(now - next_attempt_ms) >= 0) {
    const int status = send_reading(members.preferred(), buffer.at(0));
    if (status >= 200 && status < 300) {
      buffer.drop_front(1);
      backoff.reset();
      next_attempt_ms = now;
    } else if (status == 400) {
      Serial.println(F("reading refused (400), dropped"));
      buffer.drop_front(1);
    } else {
      Serial.print(F("no answer ("));
      Serial.print(status);
      Serial.println(F("), trying the next member later"));
      if (status < 0 || status >= 500) members.fail_over();
      next_attempt_ms = now + backoff.next_delay((uint32_t)random(0x7FFFFFFFL));
    }
  }
  Ethernet.maintain();
  delay(10);
}
