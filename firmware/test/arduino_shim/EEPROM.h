#pragma once
#include "Arduino.h"

namespace shim {
extern uint8_t eeprom[1024];
}

class EEPROMClass {
 public:
  template <typename T>
  T& get(int address, T& value) { memcpy(&value, shim::eeprom + address, sizeof(T)); return value; }
  template <typename T>
  const T& put(int address, const T& value) { memcpy(shim::eeprom + address, &value, sizeof(T)); return value; }
};

extern EEPROMClass EEPROM;
