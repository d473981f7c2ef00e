#pragma once
#include <map>

#include "Arduino.h"

namespace shim {
extern std::map<std::string, uint32_t> nvs;  // survives a simulated reboot
}

class Preferences {
 public:
  bool begin(const char*, bool) { return true; }
  uint32_t getUInt(const char* key, uint32_t fallback) {
    auto it = shim::nvs.find(key);
    return it == shim::nvs.end() ? fallback : it->second;
  }
  size_t putUInt(const char* key, uint32_t value) { shim::nvs[key] = value; return 4; }
  void end() {}
};
