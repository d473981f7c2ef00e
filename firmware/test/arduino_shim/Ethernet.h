#pragma once
#include <vector>

#include "Arduino.h"

namespace shim {
extern bool ethernet_up;
extern std::vector<std::string> ethernet_requests;   // what each connection sent
extern std::vector<std::string> ethernet_responses;  // what each connection answers; "" = refused
}  // namespace shim

class EthernetClass {
 public:
  int begin(uint8_t*) { return shim::ethernet_up ? 1 : 0; }
  IPAddress localIP() { return IPAddress(192, 168, 1, 177); }
  int maintain() { return 0; }
};

extern EthernetClass Ethernet;

class EthernetClient : public Print {
 public:
  int connect(const char*, uint16_t) { return open(); }
  int connect(IPAddress, uint16_t) { return open(); }
  size_t write(const char* text) override { shim::ethernet_requests.back() += text; return strlen(text); }
  int available() { return static_cast<int>(response_.size() - read_); }
  int read() { return read_ < response_.size() ? static_cast<unsigned char>(response_[read_++]) : -1; }
  bool connected() { return read_ < response_.size(); }
  void stop() { response_.clear(); read_ = 0; }
  void setTimeout(unsigned long) {}

 private:
  int open() {
    if (!shim::ethernet_up) return 0;
    response_ = shim::ethernet_responses.empty() ? "HTTP/1.1 200 OK\r\n\r\n{}" : shim::ethernet_responses.front();
    if (!shim::ethernet_responses.empty()) shim::ethernet_responses.erase(shim::ethernet_responses.begin());
    read_ = 0;
    if (response_.empty()) return 0;
    shim::ethernet_requests.push_back("");
    return 1;
  }
  std::string response_;
  size_t read_ = 0;
};
