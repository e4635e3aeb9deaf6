#include "workers/byte_stream.hpp"

#include <cerrno>

namespace workers {

byte_stream::~byte_stream() = default;

bool await_socket(int fd, short events,
                  byte_stream::clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - byte_stream::clock::now())
                  .count();
    if (left <= 0)
      return false;
    pollfd p{fd, events, 0};
    auto n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0)
      return true;
    if (n < 0 && errno != EINTR)
      return false;
  }
}

} // namespace workers
