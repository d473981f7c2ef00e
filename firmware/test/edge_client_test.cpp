#include "edge_client.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using edge::Backoff;
using edge::EdgeClient;
using edge::Member;
using edge::MemberList;
using edge::RamStore;
using edge::Reading;
using edge::ReadingBuffer;
using edge::Response;

// A transport that answers from a script and records what it was sent.
class ScriptedTransport : public edge::Transport {
 public:
  struct Call {
    std::string host;
    std::string path;
    std::string body;
    std::string token;
  };
  std::vector<Response> script;
  std::vector<Call> calls;
  std::string answer_body;

  Response post_json(const Member& member, const char* path, const char* body, size_t len, const char* token) override {
    calls.push_back({member.host, path, std::string(body, len), token == nullptr ? "" : token});
    Response r = script.empty() ? Response{200, 0, nullptr, 0} : script.front();
    if (!script.empty()) script.erase(script.begin());
    if (r.body == nullptr && !answer_body.empty()) {
      r.body = answer_body.c_str();
      r.body_len = answer_body.size();
    }
    return r;
  }
};

uint32_t zero_random() { return 0; }

const Member kMembers[] = {{"10.0.0.1", 5000}, {"10.0.0.2", 5000}, {"10.0.0.3", 5000}};

struct Fixture {
  RamStore<8> store;
  ReadingBuffer buffer{store};
  MemberList members{kMembers, 3};
  Backoff backoff{1000, 60000};
  ScriptedTransport transport;
  EdgeClient client{members, buffer, transport, backoff, zero_random};
  uint32_t seq = 1;
};

Reading R(uint32_t seq) { return Reading{1, seq, 20.0f, 50.0f, 0}; }

TEST(ReadingBuffer, KeepsOrderAndDropsTheOldestWhenFull) {
  RamStore<3> store;
  ReadingBuffer buffer(store);
  for (uint32_t s = 1; s <= 5; ++s) buffer.push(R(s));
  EXPECT_EQ(3u, buffer.size());
  EXPECT_EQ(2u, buffer.overflowed());
  EXPECT_EQ(3u, buffer.at(0).seq);
  EXPECT_EQ(5u, buffer.at(2).seq);
  buffer.drop_front(2);
  EXPECT_EQ(5u, buffer.at(0).seq);
}

TEST(ReadingBuffer, RemovesOneReadingKeepingTheOthersInOrder) {
  RamStore<4> store;
  ReadingBuffer buffer(store);
  for (uint32_t s = 1; s <= 4; ++s) buffer.push(R(s));
  buffer.remove_at(1);
  ASSERT_EQ(3u, buffer.size());
  EXPECT_EQ(1u, buffer.at(0).seq);
  EXPECT_EQ(3u, buffer.at(1).seq);
  EXPECT_EQ(4u, buffer.at(2).seq);
}

TEST(ReadingBuffer, ResumesFromAPersistedPosition) {
  RamStore<4> store;
  {
    ReadingBuffer before(store);
    for (uint32_t s = 1; s <= 6; ++s) before.push(R(s));
  }
  ReadingBuffer after(store, /*head=*/2, /*count=*/4);
  EXPECT_EQ(3u, after.at(0).seq);
  EXPECT_EQ(6u, after.at(3).seq);
}

TEST(Backoff, DoublesUpToTheCapWithJitterBetweenHalfAndWhole) {
  Backoff backoff(1000, 8000);
  EXPECT_EQ(500u, backoff.next_delay(0));
  EXPECT_EQ(1000u, backoff.next_delay(0));
  EXPECT_EQ(2000u, backoff.next_delay(0));
  EXPECT_EQ(4000u, backoff.next_delay(0));
  EXPECT_EQ(4000u, backoff.next_delay(0));
  EXPECT_EQ(8000u, backoff.next_delay(4000));  // 4000 + 4000 % 4001
  backoff.reset();
  EXPECT_EQ(500u, backoff.next_delay(0));
}

TEST(Encoding, WritesTheBatchEndpointsJsonWithTwoDecimals) {
  RamStore<4> store;
  ReadingBuffer buffer(store);
  buffer.push(Reading{7, 41, 22.5f, 65.0f, 1780000000});
  buffer.push(Reading{7, 42, -3.456f, 0.0f, 0});
  char out[256];
  const size_t len = edge::encode_batch(buffer, 2, out, sizeof out);
  EXPECT_EQ(std::string("{\"readings\":[{\"device_id\":7,\"seq\":41,\"temperature\":22.50,\"humidity\":65.00,"
                        "\"timestamp\":1780000000},{\"device_id\":7,\"seq\":42,\"temperature\":-3.46,\"humidity\":0.00}]}"),
            std::string(out, len));
}

TEST(Encoding, RefusesABufferThatIsTooSmall) {
  char out[10];
  EXPECT_EQ(0u, edge::encode_reading(R(1), out, sizeof out));
}

TEST(Encoding, FindsTheIndexOfTheRefusedReading) {
  const std::string body = "{\"error\":\"readings[3]: humidity must be between 0 and 100 %\",\"field\":\"readings[3].humidity\",\"index\":3}";
  EXPECT_EQ(3, edge::find_error_index(body.c_str(), body.size()));
  EXPECT_EQ(-1, edge::find_error_index("{\"error\":\"x\"}", 13));
  EXPECT_EQ(-1, edge::find_error_index(nullptr, 0));
}

TEST(EdgeClient, SendsBufferedReadingsAsOneBatchAndEmptiesTheBuffer) {
  Fixture f;
  f.client.record(1, f.seq, 21.0f, 40.0f, 0);
  f.client.record(1, f.seq, 21.5f, 41.0f, 0);
  EXPECT_TRUE(f.client.poll(0));
  ASSERT_EQ(1u, f.transport.calls.size());
  EXPECT_EQ("/api/readings/batch", f.transport.calls[0].path);
  EXPECT_NE(std::string::npos, f.transport.calls[0].body.find("\"seq\":2"));
  EXPECT_TRUE(f.buffer.empty());
  EXPECT_EQ(2u, f.client.stats().sent);
  EXPECT_EQ(3u, f.seq);
}

TEST(EdgeClient, FailsOverAtOnceThenBacksOffAfterAWholeRoundAndReplaysWithTheSameSeqs) {
  Fixture f;
  f.transport.script = {{-1, 0, nullptr, 0}, {503, 0, nullptr, 0}, {-1, 0, nullptr, 0}};
  f.client.record(1, f.seq, 21.0f, 40.0f, 0);
  EXPECT_FALSE(f.client.poll(0));    // member 1: no answer
  EXPECT_FALSE(f.client.poll(0));    // member 2 at once: 503
  EXPECT_FALSE(f.client.poll(0));    // member 3 at once: no answer; a whole round failed
  EXPECT_FALSE(f.client.poll(100));  // backing off: nothing sent
  EXPECT_EQ(3u, f.transport.calls.size());
  EXPECT_TRUE(f.client.poll(f.client.next_attempt_ms()));
  EXPECT_EQ("10.0.0.1", f.transport.calls[3].host);
  EXPECT_EQ(f.transport.calls[0].body, f.transport.calls[3].body);
  EXPECT_EQ(1u, f.client.stats().replayed);
  EXPECT_EQ(3u, f.client.stats().failures);
}

TEST(EdgeClient, StaysOnAMemberThatAnswers) {
  Fixture f;
  f.transport.script = {{-1, 0, nullptr, 0}};
  f.client.record(1, f.seq, 21.0f, 40.0f, 0);
  f.client.poll(0);
  f.client.poll(0);
  f.client.record(1, f.seq, 21.0f, 40.0f, 0);
  f.client.poll(0);
  EXPECT_EQ("10.0.0.2", f.transport.calls[1].host);
  EXPECT_EQ("10.0.0.2", f.transport.calls[2].host);
}

TEST(EdgeClient, HonoursRetryAfterOn429WithoutLeavingTheMember) {
  Fixture f;
  f.transport.script = {{429, 30, nullptr, 0}};
  f.client.record(1, f.seq, 21.0f, 40.0f, 0);
  f.client.poll(1000);
  EXPECT_EQ(31000u, f.client.next_attempt_ms());
  EXPECT_FALSE(f.client.poll(30999));
  EXPECT_TRUE(f.client.poll(31000));
  EXPECT_EQ("10.0.0.1", f.transport.calls[1].host);
}

TEST(EdgeClient, SendsTheDevicesTokenAndKeepsItsReadingsWhileTheTokenIsRefused) {
  Fixture f;
  f.client.record(1, f.seq, 21.0f, 40.0f, 0);
  EXPECT_TRUE(f.client.poll(0));
  EXPECT_EQ("", f.transport.calls[0].token);  // no token set: none sent

  f.client.set_token("tok-1");
  f.transport.script = {{401, 0, nullptr, 0}, {403, 0, nullptr, 0}};
  f.client.record(1, f.seq, 22.0f, 40.0f, 0);
  EXPECT_FALSE(f.client.poll(1000));
  // Refused: nothing dropped, the same member tried again after the backoff, the token on every attempt.
  EXPECT_EQ(1u, f.buffer.size());
  EXPECT_EQ(0u, f.client.stats().dropped);
  EXPECT_FALSE(f.client.poll(f.client.next_attempt_ms()));
  EXPECT_TRUE(f.client.poll(f.client.next_attempt_ms()));
  EXPECT_TRUE(f.buffer.empty());
  ASSERT_EQ(4u, f.transport.calls.size());
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ("tok-1", f.transport.calls[i].token);
    EXPECT_EQ("10.0.0.1", f.transport.calls[i].host);
  }
}

TEST(EdgeClient, DropsOnlyTheReadingA400Names) {
  Fixture f;
  f.transport.script = {{400, 0, nullptr, 0}};
  f.transport.answer_body = "{\"error\":\"bad\",\"field\":\"readings[1].humidity\",\"index\":1}";
  for (int i = 0; i < 3; ++i) f.client.record(1, f.seq, 21.0f, 40.0f, 0);
  EXPECT_FALSE(f.client.poll(0));
  ASSERT_EQ(2u, f.buffer.size());
  EXPECT_EQ(1u, f.buffer.at(0).seq);
  EXPECT_EQ(3u, f.buffer.at(1).seq);
  EXPECT_EQ(1u, f.client.stats().dropped);
  f.transport.answer_body.clear();
  EXPECT_TRUE(f.client.poll(0));
  EXPECT_TRUE(f.buffer.empty());
}

TEST(EdgeClient, CountsReadingsLostToAFullBufferAndSkipsFailedSensorReads) {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.client.record(1, f.seq, 21.0f, 40.0f, 0);
  float nan = 0.0f / 0.0f;
  f.client.record(1, f.seq, nan, 40.0f, 0);
  EXPECT_EQ(8u, f.buffer.size());
  EXPECT_EQ(2u, f.client.stats().dropped);
  EXPECT_EQ(10u, f.client.stats().recorded);
  EXPECT_EQ(11u, f.seq);
}

TEST(EdgeClient, SendsAtMostOneBatchOfKMaxBatchAtATime) {
  RamStore<120> store;
  ReadingBuffer buffer(store);
  MemberList members(kMembers, 1);
  Backoff backoff(1000, 60000);
  ScriptedTransport transport;
  EdgeClient client(members, buffer, transport, backoff, zero_random);
  uint32_t seq = 1;
  for (int i = 0; i < 120; ++i) client.record(2, seq, 21.0f, 40.0f, 1780000000);
  EXPECT_TRUE(client.poll(0));
  EXPECT_EQ(120u - EdgeClient::kMaxBatch, buffer.size());
  while (client.poll(0)) {}
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(3u, transport.calls.size());
}

}  // namespace
