#include "posix_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace edge {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

int connect_with_deadline(const Member& member, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(member.port);
  if (getaddrinfo(member.host, port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t len = sizeof error;
    if (errno != EINPROGRESS || poll(&p, 1, remaining_ms(deadline)) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

bool send_all(int fd, const char* data, size_t len, Clock::time_point deadline) {
  while (len > 0) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, remaining_ms(deadline)) != 1) return false;
    const ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes (the request says Connection: close) or the deadline passes.
bool receive_all(int fd, std::string& out, Clock::time_point deadline) {
  char chunk[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) != 1) return false;
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n == 0) return true;
    if (n < 0) return false;
    out.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

Response PosixTransport::post_json(const Member& member, const char* path, const char* body, size_t body_len, const char* token) {
  Response response{-1, 0, nullptr, 0};
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  const int fd = connect_with_deadline(member, deadline);
  if (fd < 0) return response;

  std::string request = std::string("POST ") + path + " HTTP/1.1\r\nHost: " + member.host + ":" +
                        std::to_string(member.port) + "\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body_len) + "\r\nConnection: close\r\n" +
                        (token != nullptr && *token != '\0' ? std::string("Authorization: Bearer ") + token + "\r\n" : std::string()) + "\r\n";
  request.append(body, body_len);
  std::string raw;
  const bool ok = send_all(fd, request.data(), request.size(), deadline) && receive_all(fd, raw, deadline);
  close(fd);
  if (!ok || raw.compare(0, 5, "HTTP/") != 0) return response;

  const size_t space = raw.find(' ');
  const size_t header_end = raw.find("\r\n\r\n");
  if (space == std::string::npos || header_end == std::string::npos) return response;
  response.status = atoi(raw.c_str() + space + 1);
  const std::string headers = raw.substr(0, header_end);
  for (const char* name : {"\r\nRetry-After:", "\r\nretry-after:"}) {
    const size_t at = headers.find(name);
    if (at != std::string::npos) response.retry_after_s = static_cast<uint32_t>(atoi(headers.c_str() + at + strlen(name)));
  }
  answer_ = raw.substr(header_end + 4);
  response.body = answer_.c_str();
  response.body_len = answer_.size();
  return response;
}

}  // namespace edge
