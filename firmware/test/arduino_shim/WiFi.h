#pragma once
#include "Arduino.h"

enum wl_status_t { WL_IDLE_STATUS = 0, WL_CONNECTED = 3, WL_DISCONNECTED = 6 };
#define WIFI_STA 1

namespace shim {
extern wl_status_t wifi_status;
}

class WiFiClass {
 public:
  void mode(int) {}
  void begin(const char*, const char*) {}
  void setAutoReconnect(bool) {}
  wl_status_t status() { return shim::wifi_status; }
  IPAddress localIP() { return IPAddress(127, 0, 0, 1); }
};

extern WiFiClass WiFi;

// A network connection as Arduino's networking libraries take it; the MQTT shim needs only the type.
class Client {};
class WiFiClient : public Client {};
