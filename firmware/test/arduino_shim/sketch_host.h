// What the sketch tests share: a fresh board, and the sketch's loop() run for a while of the shim's time.
// Included after the sketch (its setup() and loop()).
#pragma once
#include "Arduino.h"
#include "DHT.h"
#include "HTTPClient.h"
#include "MQTTClient.h"
#include "Preferences.h"

void setup();
void loop();

namespace shim {

inline void run_for(unsigned long ms) {
  const unsigned long until = now_ms + ms;
  while (now_ms < until) loop();
}

// A board fresh from the factory, whatever ran before it in this process: flash, network scripts, sensor, serial.
inline void boot_new_board() {
  nvs.clear();
  http_sent.clear();
  http_script.clear();
  mqtt_sent.clear();
  mqtt_acks.clear();
  serial_output.clear();
  dht_temperature = 22.5f;
  wifi_status = WL_CONNECTED;
  setup();
}

}  // namespace shim
