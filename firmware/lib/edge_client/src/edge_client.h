// EdgeCluster firmware client core: portable C++11 with no Arduino dependency and no heap use.
// A board records readings; the client buffers them, posts them to any member of the cluster as
// /api/readings/batch requests, fails over between members and backs off when none answers.
#ifndef EDGE_CLIENT_H
#define EDGE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

namespace edge {

// One reading as the cluster stores it. seq counts up per device and makes retries idempotent.
struct Reading {
  uint32_t device_id;
  uint32_t seq;
  float temperature;
  float humidity;
  uint32_t timestamp;  // Unix seconds from NTP; 0 when the board has no time yet (the node uses its own)
};

// Where readings wait while no member answers: RAM by default; an ESP32 backs it with RTC memory or
// flash so that a reboot keeps them.
class ReadingStore {
 public:
  virtual ~ReadingStore() {}
  virtual size_t capacity() const = 0;
  virtual void write(size_t slot, const Reading& reading) = 0;
  virtual Reading read(size_t slot) const = 0;
  // Called after head/count change, so a persistent store can keep them with the slots.
  virtual void save_position(size_t head, size_t count) { (void)head; (void)count; }
};

// A store in RAM of N readings.
template <size_t N>
class RamStore : public ReadingStore {
 public:
  size_t capacity() const { return N; }
  void write(size_t slot, const Reading& reading) { slots_[slot] = reading; }
  Reading read(size_t slot) const { return slots_[slot]; }

 private:
  Reading slots_[N];
};

// A bounded FIFO of readings over a store. When full, the oldest reading is dropped and counted.
class ReadingBuffer {
 public:
  explicit ReadingBuffer(ReadingStore& store, size_t head = 0, size_t count = 0);
  void push(const Reading& reading);
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  Reading at(size_t i) const;       // i = 0 is the oldest
  void drop_front(size_t n);        // removes the n oldest
  void remove_at(size_t i);         // removes one reading, keeping the order of the rest
  uint32_t overflowed() const { return overflowed_; }

 private:
  ReadingStore& store_;
  size_t head_;
  size_t count_;
  uint32_t overflowed_;
};

// Exponential backoff with jitter: base * 2^attempt, capped, then a random part of it (full jitter
// halved: between half and the whole delay) so that many boards do not retry in step.
class Backoff {
 public:
  Backoff(uint32_t base_ms, uint32_t max_ms) : base_ms_(base_ms), max_ms_(max_ms), attempt_(0) {}
  uint32_t next_delay(uint32_t random32);
  void reset() { attempt_ = 0; }
  uint32_t attempts() const { return attempt_; }

 private:
  uint32_t base_ms_;
  uint32_t max_ms_;
  uint32_t attempt_;
};

struct Member {
  const char* host;
  uint16_t port;
};

// The cluster members a board knows, with a sticky preferred one: the client stays on a member
// that answers and moves to the next only when it does not.
class MemberList {
 public:
  MemberList(const Member* members, size_t count) : members_(members), count_(count), preferred_(0) {}
  const Member& preferred() const { return members_[preferred_]; }
  size_t preferred_index() const { return preferred_; }
  void fail_over() { preferred_ = count_ == 0 ? 0 : (preferred_ + 1) % count_; }
  size_t size() const { return count_; }

 private:
  const Member* members_;
  size_t count_;
  size_t preferred_;
};

// What the board's HTTP stack answered. status < 0 means no answer (timeout, refused, no WiFi).
struct Response {
  int status;
  uint32_t retry_after_s;  // from a Retry-After header, 0 when none
  const char* body;        // may be null
  size_t body_len;
};

// The board's HTTP stack: WiFiClient/HTTPClient on an ESP32, POSIX sockets in the simulator.
// token: the device's token when the cluster requires device tokens (HTTP: Authorization: Bearer; MQTT: the
// password, the device id the username); null or empty when it does not.
class Transport {
 public:
  virtual ~Transport() {}
  virtual Response post_json(const Member& member, const char* path, const char* body, size_t body_len, const char* token) = 0;
};

// Writes readings as the batch endpoint takes them, into a caller's buffer, without the heap.
// Returns the length written, or 0 when the buffer is too small.
size_t encode_batch(const ReadingBuffer& buffer, size_t count, char* out, size_t out_size);
size_t encode_reading(const Reading& reading, char* out, size_t out_size);

// Finds "index":N in a 400 answer of the batch endpoint; -1 when absent.
long find_error_index(const char* body, size_t len);

struct ClientStats {
  uint32_t recorded;
  uint32_t sent;        // readings acknowledged by a member
  uint32_t replayed;    // of those, sent after at least one failed attempt
  uint32_t dropped;     // refused with 400 (bad reading) or lost to overflow
  uint32_t failures;    // attempts that got no 2xx
};

typedef void (*LogFn)(const char* message);

class EdgeClient {
 public:
  static const size_t kMaxBatch = 50;
  static const size_t kBodySize = kMaxBatch * 96 + 32;

  EdgeClient(MemberList& members, ReadingBuffer& buffer, Transport& transport, Backoff& backoff,
             uint32_t (*random32)(), LogFn log = 0);

  // Buffers a reading with the device's next seq; the seq to start from is the caller's.
  void record(uint32_t device_id, uint32_t& next_seq, float temperature, float humidity, uint32_t timestamp);
  // Sends what is buffered when the backoff allows; call it from loop(). Returns true when a batch
  // was acknowledged.
  bool poll(uint32_t now_ms);
  const ClientStats& stats() const { return stats_; }
  // The device's token (kept by pointer: a string literal or a buffer that lives as long as the client); null: none.
  void set_token(const char* token) { token_ = token; }
  uint32_t next_attempt_ms() const { return next_attempt_ms_; }
  bool waiting() const { return has_failed_; }

 private:
  void failed(uint32_t now_ms, uint32_t retry_after_s, bool fail_over);
  void log(const char* message);

  MemberList& members_;
  ReadingBuffer& buffer_;
  Transport& transport_;
  Backoff& backoff_;
  uint32_t (*random32_)();
  LogFn log_;
  ClientStats stats_;
  uint32_t next_attempt_ms_;
  bool has_failed_;
  size_t failed_in_buffer_;  // how many of the oldest readings have failed at least once
  size_t round_failures_;    // members tried in a row without an answer
  const char* token_;
  char body_[kBodySize];
};

}  // namespace edge

#endif
