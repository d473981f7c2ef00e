#include <map>
#include <vector>

#include "Arduino.h"
#include "DHT.h"
#include "EEPROM.h"
#include "Ethernet.h"
#include "HTTPClient.h"
#include "MQTTClient.h"
#include "Preferences.h"
#include "WiFi.h"

namespace shim {
unsigned long now_ms = 0;
std::string serial_output;
wl_status_t wifi_status = WL_CONNECTED;
std::vector<HttpExchange> http_sent;
std::vector<HttpAnswer> http_script;
std::vector<MqttPublish> mqtt_sent;
std::vector<bool> mqtt_acks;
int mqtt_connects = 0;
float dht_temperature = 22.5f;
float dht_humidity = 60.0f;
std::map<std::string, uint32_t> nvs;
bool ethernet_up = true;
std::vector<std::string> ethernet_requests;
std::vector<std::string> ethernet_responses;
uint8_t eeprom[1024];
// A new board: every EEPROM byte erased to 0xFF.
static const bool eeprom_erased = (memset(eeprom, 0xFF, sizeof eeprom), true);
}  // namespace shim

HardwareSerial Serial;
WiFiClass WiFi;
EthernetClass Ethernet;
EEPROMClass EEPROM;

unsigned long millis() { return shim::now_ms; }
void delay(unsigned long ms) { shim::now_ms += ms; }
long random(long max) { return max <= 0 ? 0 : rand() % max; }
long random(long min, long max) { return min + random(max - min); }
void randomSeed(unsigned long seed) { srand(static_cast<unsigned>(seed)); }
void pinMode(uint8_t, uint8_t) {}
uint32_t esp_random() { return static_cast<uint32_t>(rand()); }
void configTime(long, int, const char*) {}
