// Settings of one ESP32 sensor board publishing over MQTT: change these, then flash.
#pragma once

#define WIFI_SSID "lab-wifi"
#define WIFI_PASSWORD "change-me"

// Every cluster member's MQTT door; the board sticks to one that acknowledges and fails over to the next when it
// does not. Port 1883 is the node's default MQTT port.
#define EDGE_MEMBERS {{"192.168.1.10", 1883}, {"192.168.1.11", 1883}, {"192.168.1.12", 1883}}

// Must be registered on the cluster (POST /api/devices) unless the nodes run with --auto-register.
#define DEVICE_ID 1
// The token the device's registration answered (edgectl <member> devices register 1 ESP32_01), when the nodes run
// with --device-auth tokens: the board then logs in with username DEVICE_ID and this password. "" when they do not.
#ifndef DEVICE_TOKEN
#define DEVICE_TOKEN ""
#endif
// The MQTT client id; one per board (the broker drops an older connection with the same id).
#define MQTT_CLIENT_ID "esp32-1"
// Longer than a member may take to acknowledge (its journal: up to 10 s), as the lab's 60.
#define MQTT_KEEPALIVE_S 60
#define MQTT_TIMEOUT_MS 12000

#define DHT_PIN 4
#define DHT_TYPE DHT22

#define SAMPLE_INTERVAL_MS 30000UL   // one reading every 30 s
#define NTP_SERVER "pool.ntp.org"

// Readings kept in RTC memory until a member acknowledged them (about 20 bytes each).
#define BUFFER_CAPACITY 256

// The seq counter is saved to flash once every SEQ_BLOCK readings; after a power cut the board skips ahead.
#define SEQ_BLOCK 100
