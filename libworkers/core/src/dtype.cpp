#include "workers/dtype.hpp"

namespace workers {

const char* to_string(dtype x) {
  switch (x) {
  case dtype::int64:
    return "int64";
  case dtype::float32:
    return "float32";
  case dtype::float64:
    return "float64";
  }
  return "unknown";
}

size_t size_of(dtype x) {
  switch (x) {
  case dtype::int64:
    return sizeof(int64_t);
  case dtype::float32:
    return sizeof(float);
  case dtype::float64:
    return sizeof(double);
  }
  return 0;
}

} // namespace workers
