// Runs the Arduino Ethernet sketch on the host against the Arduino shim.
#include <gtest/gtest.h>

// Built twice: as the board ships (no token), and with EDGE_TEST_TOKEN as a board of a lab with device tokens on.
#ifdef EDGE_TEST_TOKEN
#define DEVICE_TOKEN "tok-1"
#endif
#include "../arduino-ethernet/arduino-ethernet.ino"

namespace {

void run_for(unsigned long ms) {
  const unsigned long until = shim::now_ms + ms;
  while (shim::now_ms < until) loop();
}

unsigned long seq_of(const std::string& request) {
  const size_t at = request.find("&seq=");
  return at == std::string::npos ? 0 : std::stoul(request.substr(at + 5));
}

// Each test starts from a board fresh from the factory (EEPROM erased), whatever ran before it in this process.
void boot_new_board() {
  std::fill(std::begin(shim::eeprom), std::end(shim::eeprom), 0xFF);
  shim::ethernet_requests.clear();
  shim::ethernet_responses.clear();
  shim::serial_output.clear();
  setup();
}

TEST(EthernetSketch, SendsTheLabsQueryStringWithASeq) {
  boot_new_board();
  run_for(100);
  ASSERT_EQ(1u, shim::ethernet_requests.size());
  const std::string& request = shim::ethernet_requests[0];
#ifdef EDGE_TEST_TOKEN
  EXPECT_EQ(0u, request.find("GET /api/reading?device_id=2&seq=1&temperature=22.5&humidity=60.0&token=tok-1 HTTP/1.1\r\n"));
#else
  EXPECT_EQ(0u, request.find("GET /api/reading?device_id=2&seq=1&temperature=22.5&humidity=60.0 HTTP/1.1\r\n"));
#endif
  EXPECT_NE(std::string::npos, request.find("Host: 192.168.1.10\r\n"));
  EXPECT_NE(std::string::npos, request.find("Connection: close\r\n\r\n"));
  EXPECT_TRUE(buffer.empty());
}

TEST(EthernetSketch, KeepsReadingsWhileNoMemberAnswersThenSendsThemInOrder) {
  boot_new_board();
  run_for(SAMPLE_INTERVAL_MS);  // one reading goes out, answered
  ASSERT_FALSE(shim::ethernet_requests.empty());
  const unsigned long first = seq_of(shim::ethernet_requests.back());
  ASSERT_GT(first, 0u);
  for (int i = 0; i < 30; ++i) shim::ethernet_responses.push_back("");
  run_for(3 * SAMPLE_INTERVAL_MS);
  EXPECT_EQ(3u, buffer.size());
  shim::ethernet_responses.clear();
  shim::ethernet_requests.clear();
  run_for(2 * 60000);
  EXPECT_TRUE(buffer.empty());
  ASSERT_GE(shim::ethernet_requests.size(), 3u);
  // The three that waited go out in order, with the seqs they were given while no member answered.
  EXPECT_EQ(first + 1, seq_of(shim::ethernet_requests[0]));
  EXPECT_EQ(first + 2, seq_of(shim::ethernet_requests[1]));
  EXPECT_EQ(first + 3, seq_of(shim::ethernet_requests[2]));
}

TEST(EthernetSketch, DropsAReadingTheNodeRefuses) {
  boot_new_board();
  shim::ethernet_responses.push_back("HTTP/1.1 400 Bad Request\r\n\r\n{\"error\":\"x\",\"field\":\"humidity\"}");
  run_for(SAMPLE_INTERVAL_MS);
  EXPECT_TRUE(buffer.empty());
  EXPECT_NE(std::string::npos, shim::serial_output.find("refused (400)"));
}

}  // namespace
