#include "edge_client.h"

#include <string.h>

namespace edge {

// ---- ReadingBuffer

ReadingBuffer::ReadingBuffer(ReadingStore& store, size_t head, size_t count)
    : store_(store), head_(head % store.capacity()), count_(count > store.capacity() ? store.capacity() : count),
      overflowed_(0) {}

void ReadingBuffer::push(const Reading& reading) {
  const size_t cap = store_.capacity();
  if (count_ == cap) {
    head_ = (head_ + 1) % cap;
    --count_;
    ++overflowed_;
  }
  store_.write((head_ + count_) % cap, reading);
  ++count_;
  store_.save_position(head_, count_);
}

Reading ReadingBuffer::at(size_t i) const { return store_.read((head_ + i) % store_.capacity()); }

void ReadingBuffer::drop_front(size_t n) {
  if (n > count_) n = count_;
  head_ = (head_ + n) % store_.capacity();
  count_ -= n;
  store_.save_position(head_, count_);
}

void ReadingBuffer::remove_at(size_t i) {
  if (i >= count_) return;
  const size_t cap = store_.capacity();
  for (size_t k = i; k + 1 < count_; ++k) store_.write((head_ + k) % cap, store_.read((head_ + k + 1) % cap));
  --count_;
  store_.save_position(head_, count_);
}

// ---- Backoff

uint32_t Backoff::next_delay(uint32_t random32) {
  uint32_t delay = base_ms_;
  for (uint32_t i = 0; i < attempt_ && delay < max_ms_; ++i) delay *= 2;
  if (delay > max_ms_) delay = max_ms_;
  if (attempt_ < 31) ++attempt_;
  const uint32_t half = delay / 2;
  return half + (half == 0 ? 0 : random32 % (half + 1));
}

// ---- JSON encoding without printf: AVR's printf has no %f, and the heap stays untouched.

namespace {

struct Writer {
  char* out;
  size_t size;
  size_t len;
  bool ok;

  void put(char c) {
    if (len + 1 >= size) { ok = false; return; }
    out[len++] = c;
  }
  void put(const char* s) { while (*s) put(*s++); }
  void put_uint(uint32_t v) {
    char digits[10];
    int n = 0;
    do { digits[n++] = static_cast<char>('0' + v % 10); v /= 10; } while (v != 0);
    while (n > 0) put(digits[--n]);
  }
  // Two decimals, rounded half away from zero: enough for a DHT22 (0.1 °C, 0.1 %).
  void put_fixed2(float value) {
    long scaled = static_cast<long>(value * 100.0f + (value < 0 ? -0.5f : 0.5f));
    if (scaled < 0) { put('-'); scaled = -scaled; }
    put_uint(static_cast<uint32_t>(scaled / 100));
    put('.');
    const uint32_t frac = static_cast<uint32_t>(scaled % 100);
    put(static_cast<char>('0' + frac / 10));
    put(static_cast<char>('0' + frac % 10));
  }
};

void write_reading(Writer& w, const Reading& r) {
  w.put("{\"device_id\":");
  w.put_uint(r.device_id);
  w.put(",\"seq\":");
  w.put_uint(r.seq);
  w.put(",\"temperature\":");
  w.put_fixed2(r.temperature);
  w.put(",\"humidity\":");
  w.put_fixed2(r.humidity);
  if (r.timestamp != 0) {
    w.put(",\"timestamp\":");
    w.put_uint(r.timestamp);
  }
  w.put('}');
}

size_t finish(Writer& w) {
  if (!w.ok) return 0;
  w.out[w.len] = '\0';
  return w.len;
}

bool is_finite(float v) { return v == v && v - v == 0.0f; }

bool elapsed(uint32_t now_ms, uint32_t at_ms) { return static_cast<int32_t>(now_ms - at_ms) >= 0; }

}  // namespace

size_t encode_reading(const Reading& reading, char* out, size_t out_size) {
  Writer w = {out, out_size, 0, out_size > 0};
  write_reading(w, reading);
  return finish(w);
}

size_t encode_batch(const ReadingBuffer& buffer, size_t count, char* out, size_t out_size) {
  Writer w = {out, out_size, 0, out_size > 0};
  w.put("{\"readings\":[");
  for (size_t i = 0; i < count && i < buffer.size(); ++i) {
    if (i > 0) w.put(',');
    write_reading(w, buffer.at(i));
  }
  w.put("]}");
  return finish(w);
}

long find_error_index(const char* body, size_t len) {
  static const char kKey[] = "\"index\":";
  const size_t key_len = sizeof(kKey) - 1;
  if (body == 0) return -1;
  for (size_t i = 0; i + key_len <= len; ++i) {
    if (memcmp(body + i, kKey, key_len) != 0) continue;
    size_t p = i + key_len;
    while (p < len && body[p] == ' ') ++p;
    if (p >= len || body[p] < '0' || body[p] > '9') return -1;
    long value = 0;
    while (p < len && body[p] >= '0' && body[p] <= '9') value = value * 10 + (body[p++] - '0');
    return value;
  }
  return -1;
}

// ---- EdgeClient

EdgeClient::EdgeClient(MemberList& members, ReadingBuffer& buffer, Transport& transport, Backoff& backoff,
                       uint32_t (*random32)(), LogFn log)
    : members_(members), buffer_(buffer), transport_(transport), backoff_(backoff), random32_(random32), log_(log),
      next_attempt_ms_(0), has_failed_(false), failed_in_buffer_(0), round_failures_(0), token_(0) {
  memset(&stats_, 0, sizeof(stats_));
}

void EdgeClient::log(const char* message) {
  if (log_ != 0) log_(message);
}

void EdgeClient::record(uint32_t device_id, uint32_t& next_seq, float temperature, float humidity,
                        uint32_t timestamp) {
  if (!is_finite(temperature) || !is_finite(humidity)) {
    log("sensor read failed (NaN): reading not recorded");
    return;
  }
  Reading r = {device_id, next_seq++, temperature, humidity, timestamp};
  const uint32_t before = buffer_.overflowed();
  buffer_.push(r);
  ++stats_.recorded;
  if (buffer_.overflowed() != before) {
    ++stats_.dropped;
    if (failed_in_buffer_ > 0) --failed_in_buffer_;
    log("buffer full: oldest reading dropped");
  }
}

bool EdgeClient::poll(uint32_t now_ms) {
  if (buffer_.empty() || (has_failed_ && !elapsed(now_ms, next_attempt_ms_))) return false;

  size_t count = buffer_.size() < kMaxBatch ? buffer_.size() : kMaxBatch;
  size_t len = encode_batch(buffer_, count, body_, sizeof(body_));
  while (len == 0 && count > 1) len = encode_batch(buffer_, --count, body_, sizeof(body_));
  if (len == 0) return false;

  const Response response = transport_.post_json(members_.preferred(), "/api/readings/batch", body_, len, token_);
  if (response.status >= 200 && response.status < 300) {
    const size_t replayed = failed_in_buffer_ < count ? failed_in_buffer_ : count;
    stats_.sent += static_cast<uint32_t>(count);
    stats_.replayed += static_cast<uint32_t>(replayed);
    failed_in_buffer_ -= replayed;
    buffer_.drop_front(count);
    backoff_.reset();
    has_failed_ = false;
    round_failures_ = 0;
    return true;
  }

  ++stats_.failures;
  if (response.status == 400) {
    // The node names the bad item; only that one is dropped, the rest are sent again.
    const long index = find_error_index(response.body, response.body_len);
    const size_t drop = index >= 0 && static_cast<size_t>(index) < count ? static_cast<size_t>(index) : 0;
    buffer_.remove_at(drop);
    ++stats_.dropped;
    if (failed_in_buffer_ > drop) --failed_in_buffer_;
    log("reading refused with 400 and dropped");
    return false;
  }
  failed_in_buffer_ = buffer_.size();
  // A refused token: every member would say the same. The readings stay until the token is put right.
  if (response.status == 401 || response.status == 403) log("device token refused (401/403): check DEVICE_TOKEN; readings kept");
  // No answer or a server error: another member may answer. 429 and 404: the member is fine, wait.
  const bool fail_over = response.status < 0 || response.status >= 500;
  failed(now_ms, response.retry_after_s, fail_over);
  return false;
}

void EdgeClient::failed(uint32_t now_ms, uint32_t retry_after_s, bool fail_over) {
  has_failed_ = true;
  if (fail_over) {
    members_.fail_over();
    // The next member is tried at once; the backoff starts when a whole round went unanswered.
    if (++round_failures_ < members_.size()) {
      next_attempt_ms_ = now_ms;
      return;
    }
    round_failures_ = 0;
  }
  uint32_t delay = backoff_.next_delay(random32_ != 0 ? random32_() : 0);
  if (retry_after_s > 0 && retry_after_s * 1000u > delay) delay = retry_after_s * 1000u;
  next_attempt_ms_ = now_ms + delay;
}

}  // namespace edge
