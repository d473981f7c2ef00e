// A minimal Arduino API for compiling and running the sketches on the host. It implements only
// what EdgeCluster's sketches call; the test controls time, sensors and network through shim::.
#pragma once
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <string>

typedef uint8_t byte;
#define F(s) (s)
#define RTC_DATA_ATTR
#define INPUT 0
#define OUTPUT 1
#define HIGH 1
#define LOW 0
#define DEC 10

namespace shim {
extern unsigned long now_ms;
extern std::string serial_output;
}  // namespace shim

unsigned long millis();
void delay(unsigned long ms);
long random(long max);
long random(long min, long max);
void randomSeed(unsigned long seed);
void pinMode(uint8_t pin, uint8_t mode);
uint32_t esp_random();
void configTime(long gmt_offset_s, int daylight_offset_s, const char* server);

class String {
 public:
  String() {}
  String(const char* s) : s_(s ? s : "") {}
  String(const std::string& s) : s_(s) {}
  String(long v) : s_(std::to_string(v)) {}
  const char* c_str() const { return s_.c_str(); }
  unsigned int length() const { return static_cast<unsigned int>(s_.size()); }
  long toInt() const { return atol(s_.c_str()); }
  bool operator==(const char* other) const { return s_ == other; }
  String& operator+=(const String& other) { s_ += other.s_; return *this; }

 private:
  std::string s_;
};

class Print {
 public:
  virtual ~Print() {}
  virtual size_t write(const char* text) = 0;
  size_t print(const char* s) { return write(s); }
  size_t print(const String& s) { return write(s.c_str()); }
  size_t print(char c) { char b[2] = {c, 0}; return write(b); }
  size_t print(int v) { return print(static_cast<long>(v)); }
  size_t print(unsigned int v) { return print(static_cast<unsigned long>(v)); }
  size_t print(long v) { return write(std::to_string(v).c_str()); }
  size_t print(unsigned long v) { return write(std::to_string(v).c_str()); }
  size_t print(double v, int digits = 2) {
    char b[32];
    snprintf(b, sizeof b, "%.*f", digits, v);
    return write(b);
  }
  template <typename T>
  size_t println(T v) { size_t n = print(v); return n + write("\r\n"); }
  size_t println(double v, int digits) { size_t n = print(v, digits); return n + write("\r\n"); }
  size_t println() { return write("\r\n"); }
  size_t printf(const char* format, ...) {
    char b[256];
    va_list args;
    va_start(args, format);
    vsnprintf(b, sizeof b, format, args);
    va_end(args);
    return write(b);
  }
};

class HardwareSerial : public Print {
 public:
  void begin(unsigned long) {}
  size_t write(const char* text) override { shim::serial_output += text; return strlen(text); }
  operator bool() const { return true; }
};

extern HardwareSerial Serial;

class IPAddress {
 public:
  IPAddress() : a_{0, 0, 0, 0} {}
  IPAddress(uint8_t a, uint8_t b, uint8_t c, uint8_t d) : a_{a, b, c, d} {}
  uint8_t operator[](int i) const { return a_[i]; }

 private:
  uint8_t a_[4];
};
