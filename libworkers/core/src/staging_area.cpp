#include "workers/staging_area.hpp"

#include <random>

#include "workers/error.hpp"

namespace workers {

namespace {

blob_token random_token() {
  std::random_device rd;
  auto draw = [&rd] { return (uint64_t{rd()} << 32) | uint64_t{rd()}; };
  return blob_token{draw(), draw()};
}

} // namespace

staging_area::staged staging_area::stage(tensor t, clock::time_point deadline) {
  staged result{ids_.next(), random_token()};
  std::lock_guard<std::mutex> guard{mtx_};
  blobs_.emplace(result.id, entry{std::move(t), result.token, 0, deadline});
  return result;
}

caf::expected<std::vector<uint8_t>> staging_area::read(object_id id,
                                                       const blob_token& token,
                                                       uint64_t offset,
                                                       uint64_t len) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = blobs_.find(id);
  if (i == blobs_.end() || !(i->second.token == token))
    return make_error(errc::no_such_object, "no staged blob " + to_string(id) +
                                              " (read already, or expired)");
  auto& e = i->second;
  auto size = static_cast<uint64_t>(e.data.nbytes());
  if (offset > size || len > size - offset)
    return make_error(errc::bad_argument,
                      "chunk [" + std::to_string(offset) + ", " +
                        std::to_string(offset + len) + ") is outside blob " +
                        to_string(id) + " of " + std::to_string(size) +
                        " bytes");
  auto first = e.data.bytes() + offset;
  std::vector<uint8_t> result(first, first + len);
  e.served += len;
  if (e.served >= size)
    blobs_.erase(i);
  return result;
}

std::optional<tensor> staging_area::lease(object_id id,
                                          const blob_token& token) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = blobs_.find(id);
  if (i == blobs_.end() || !(i->second.token == token))
    return std::nullopt;
  return i->second.data;
}

void staging_area::settle(object_id id) {
  std::lock_guard<std::mutex> guard{mtx_};
  blobs_.erase(id);
}

void staging_area::expire(clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto i = blobs_.begin(); i != blobs_.end();)
    i = i->second.deadline <= now ? blobs_.erase(i) : std::next(i);
}

size_t staging_area::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return blobs_.size();
}

} // namespace workers
