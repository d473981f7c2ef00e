// Settings of one ESP32 sensor board: change these, then flash.
#pragma once

#define WIFI_SSID "lab-wifi"
#define WIFI_PASSWORD "change-me"

// Every cluster member the board may post to; it sticks to one that answers and fails over to
// the next when it does not. Port 5000 is the node's default HTTP port.
#define EDGE_MEMBERS {{"192.168.1.10", 5000}, {"192.168.1.11", 5000}, {"192.168.1.12", 5000}}

// Must be registered on the cluster (POST /api/devices) unless the nodes run with --auto-register.
#define DEVICE_ID 1
// The token the device's registration answered (edgectl <member> devices register 1 ESP32_01), when the nodes run
// with --device-auth tokens; "" when they do not.
#ifndef DEVICE_TOKEN
#define DEVICE_TOKEN ""
#endif

#define DHT_PIN 4
#define DHT_TYPE DHT22

#define SAMPLE_INTERVAL_MS 30000UL   // one reading every 30 s
#define HTTP_TIMEOUT_MS 5000
#define NTP_SERVER "pool.ntp.org"

// Readings kept in RTC memory while no member answers (about 20 bytes each; survives deep sleep
// and resets, not power loss).
#define BUFFER_CAPACITY 256

// The seq counter is saved to flash once every SEQ_BLOCK readings; after a power cut the board
// skips ahead to the next block, so no seq is ever used twice.
#define SEQ_BLOCK 100
