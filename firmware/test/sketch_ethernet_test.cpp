// Runs the Arduino Ethernet sketch on the host against the Arduino shim.
#include <gtest/gtest.h>

#include "../arduino-ethernet/arduino-ethernet.ino"

namespace {

void run_for(unsigned long ms) {
  const unsigned long until = shim::now_ms + ms;
  while (shim::now_ms < until) loop();
}

TEST(EthernetSketch, SendsTheLabsQueryStringWithASeq) {
  setup();
  run_for(100);
  ASSERT_EQ(1u, shim::ethernet_requests.size());
  const std::string& request = shim::ethernet_requests[0];
  EXPECT_EQ(0u, request.find("GET /api/reading?device_id=2&seq=1&temperature=22.5&humidity=60.0 HTTP/1.1\r\n"));
  EXPECT_NE(std::string::npos, request.find("Host: 192.168.1.10\r\n"));
  EXPECT_NE(std::string::npos, request.find("Connection: close\r\n\r\n"));
  EXPECT_TRUE(buffer.empty());
}

TEST(EthernetSketch, KeepsReadingsWhileNoMemberAnswersThenSendsThemInOrder) {
  for (int i = 0; i < 30; ++i) shim::ethernet_responses.push_back("");
  run_for(3 * SAMPLE_INTERVAL_MS);
  EXPECT_EQ(3u, buffer.size());
  shim::ethernet_responses.clear();
  shim::ethernet_requests.clear();
  run_for(2 * 60000);
  EXPECT_TRUE(buffer.empty());
  ASSERT_GE(shim::ethernet_requests.size(), 3u);
  EXPECT_NE(std::string::npos, shim::ethernet_requests[0].find("&seq=2&"));
  EXPECT_NE(std::string::npos, shim::ethernet_requests[2].find("&seq=4&"));
}

TEST(EthernetSketch, DropsAReadingTheNodeRefuses) {
  shim::ethernet_requests.clear();
  shim::ethernet_responses.push_back("HTTP/1.1 400 Bad Request\r\n\r\n{\"error\":\"x\",\"field\":\"humidity\"}");
  run_for(SAMPLE_INTERVAL_MS);
  EXPECT_TRUE(buffer.empty());
  EXPECT_NE(std::string::npos, shim::serial_output.find("refused (400)"));
}

}  // namespace
