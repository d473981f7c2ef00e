// HTTP/1.1 over POSIX sockets for the host: the simulator's Transport.
#ifndef EDGE_POSIX_TRANSPORT_H
#define EDGE_POSIX_TRANSPORT_H

#include <string>

#include "edge_client.h"

namespace edge {

class PosixTransport : public Transport {
 public:
  explicit PosixTransport(int timeout_ms) : timeout_ms_(timeout_ms) {}
  Response post_json(const Member& member, const char* path, const char* body, size_t body_len, const char* token) override;

 private:
  int timeout_ms_;
  std::string answer_;
};

}  // namespace edge

#endif
