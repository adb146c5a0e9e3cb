// HostClient over POSIX sockets, and the host's platform.h: logging to
// stdout, listening and accepting on a real port.
#include "host_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "Arduino.h"
#include "platform.h"
#include "rd_random.h"

namespace {

std::set<int> openFds;  // every socket the robot holds, for hostWaitIo()
int listenFd = -1;
const char *listenHost = "127.0.0.1";
uint32_t lastReadUs = 0, lastWakeUs = 0;
constexpr int kConnectTimeoutMs = 1000;  // like the Ethernet library's default
constexpr int kWriteTimeoutMs = 500;     // a peer that stops reading drops the link

void setup(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  openFds.insert(fd);
}

bool waitFor(int fd, short events, int timeoutMs) {
  pollfd p = {fd, events, 0};
  return poll(&p, 1, timeoutMs) == 1 && (p.revents & events);
}

}  // namespace

int HostClient::connect(const char *host, uint16_t port) {
  addrinfo hints = {}, *res = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  char service[8];
  snprintf(service, sizeof service, "%u", port);
  if (getaddrinfo(host, service, &hints, &res) != 0) return 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS && waitFor(fd, POLLOUT, kConnectTimeoutMs)) {
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  }
  if (err != 0) {
    close(fd);
    return 0;
  }
  setup(fd);
  fd_ = fd, eof_ = false;
  return 1;
}

size_t HostClient::write(const uint8_t *buf, size_t size) {
  size_t done = 0;
  while (fd_ >= 0 && done < size) {
    ssize_t n = send(fd_, buf + done, size - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += (size_t)n;
    } else if (n < 0 && errno == EAGAIN) {
      if (!waitFor(fd_, POLLOUT, kWriteTimeoutMs)) break;
    } else {
      break;
    }
  }
  return done;
}

int HostClient::availableForWrite() {
  // Free space in the kernel's send buffer, like a W5100's TX free size.
  int queued = 0, size = 0;
  socklen_t len = sizeof size;
  if (fd_ < 0 || ioctl(fd_, SIOCOUTQ, &queued) != 0 ||
      getsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, &len) != 0)
    return 0;
  return size - queued;
}

int HostClient::available() {
  int n = 0;
  if (fd_ < 0 || ioctl(fd_, FIONREAD, &n) != 0) return 0;
  return n;
}

int HostClient::read(uint8_t *buf, size_t size) {
  if (fd_ < 0) return -1;
  ssize_t n = recv(fd_, buf, size, MSG_DONTWAIT);
  if (n == 0) eof_ = true;
  if (n > 0) lastReadUs = micros();
  return n > 0 ? (int)n : -1;
}

void HostClient::stop() {
  if (fd_ < 0) return;
  openFds.erase(fd_);
  close(fd_);
  fd_ = -1;
}

uint8_t HostClient::connected() {
  if (fd_ < 0) return 0;
  if (available() > 0) return 1;
  uint8_t b;
  ssize_t n = recv(fd_, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) eof_ = true;
  return !(eof_ || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
}

void hostWaitIo(int timeoutMs) {
  pollfd fds[16];
  nfds_t n = 0;
  if (listenFd >= 0) fds[n++] = {listenFd, POLLIN, 0};
  for (int fd : openFds)
    if (n < 16) fds[n++] = {fd, POLLIN, 0};
  if (poll(fds, n, timeoutMs) > 0) lastWakeUs = micros();
}

uint32_t hostLastWakeUs() { return lastWakeUs; }

void hostSetListenAddress(const char *host) { listenHost = host; }
uint32_t hostLastReadUs() { return lastReadUs; }

namespace rd {

void platformBegin() {
  uint32_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) seed = micros();
  seedRandom(seed);
}
void platformTick() {}

bool netConnect(NetClient &c, const char *host, uint16_t port) {
  if (c.connect(host, port)) return true;
  c.stop();
  return false;
}

void netListen(uint16_t port) {
  listenFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, listenHost, &addr.sin_addr) != 1 ||
      bind(listenFd, (sockaddr *)&addr, sizeof addr) != 0 || listen(listenFd, 4) != 0) {
    fprintf(stderr, "robodeck-fw: cannot listen on %s:%u: %s\n", listenHost, port,
            strerror(errno));
    _exit(2);
  }
  fcntl(listenFd, F_SETFL, O_NONBLOCK);
  socklen_t len = sizeof addr;
  getsockname(listenFd, (sockaddr *)&addr, &len);
  printf("listening %s:%u\n", listenHost, ntohs(addr.sin_port));
  fflush(stdout);
}

bool netRoom(NetClient &c, uint16_t len) { return c.availableForWrite() >= len; }

bool netAccept(NetClient &out) {
  if (listenFd < 0) return false;
  int fd = accept(listenFd, nullptr, nullptr);
  if (fd < 0) return false;
  setup(fd);
  out = HostClient(fd);
  return true;
}

void logLine(const char *msg, const char *detail) {
  printf("%u %s%s\n", millis(), msg, detail ? detail : "");
  fflush(stdout);
}

}  // namespace rd
