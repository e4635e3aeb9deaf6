#include "workers/stream_security.hpp"

namespace workers {

stream_security::~stream_security() = default;

} // namespace workers
