#pragma once
#include <vector>

#include "Arduino.h"

namespace shim {
struct HttpExchange {
  std::string host;
  uint16_t port;
  std::string uri;
  std::string content_type;
  std::string body;
  std::string authorization;  // the Authorization header, "" for none
};
struct HttpAnswer {
  int code;  // negative: the HTTPClient error codes (no connection, timeout)
  std::string retry_after;
  std::string body;
};
extern std::vector<HttpExchange> http_sent;
extern std::vector<HttpAnswer> http_script;  // answered in order; 200 when empty
}  // namespace shim

#define HTTPC_ERROR_CONNECTION_REFUSED (-1)
#define HTTPC_ERROR_READ_TIMEOUT (-11)

class HTTPClient {
 public:
  bool begin(const char* host, uint16_t port, const char* uri) {
    current_ = shim::HttpExchange{host, port, uri, "", "", ""};
    return true;
  }
  void addHeader(const char* name, const char* value) {
    if (strcmp(name, "Content-Type") == 0) current_.content_type = value;
    if (strcmp(name, "Authorization") == 0) current_.authorization = value;
  }
  void setTimeout(uint16_t) {}
  void collectHeaders(const char* [], size_t) {}
  int POST(uint8_t* payload, size_t size) {
    current_.body.assign(reinterpret_cast<const char*>(payload), size);
    shim::http_sent.push_back(current_);
    answer_ = shim::http_script.empty() ? shim::HttpAnswer{200, "", "{\"status\":\"success\"}"} : shim::http_script.front();
    if (!shim::http_script.empty()) shim::http_script.erase(shim::http_script.begin());
    return answer_.code;
  }
  String header(const char* name) { return strcmp(name, "Retry-After") == 0 ? String(answer_.retry_after) : String(); }
  String getString() { return String(answer_.body); }
  void end() {}

 private:
  shim::HttpExchange current_;
  shim::HttpAnswer answer_;
};
