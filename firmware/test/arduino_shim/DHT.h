#pragma once
#include "Arduino.h"

#define DHT11 11
#define DHT22 22

namespace shim {
extern float dht_temperature;
extern float dht_humidity;
}

class DHT {
 public:
  DHT(uint8_t, uint8_t) {}
  void begin() {}
  float readTemperature() { return shim::dht_temperature; }
  float readHumidity() { return shim::dht_humidity; }
};
