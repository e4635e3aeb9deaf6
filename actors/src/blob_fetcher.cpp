#include "workers/blob_fetcher.hpp"

#include <iostream>

#include <caf/event_based_actor.hpp>

#include "workers/error.hpp"

namespace workers {

namespace {

caf::behavior blob_fetcher(caf::event_based_actor* self) {
  return {
    [self](fetch_atom, const blob_ref& b,
           caf::timespan timeout) -> caf::result<tensor> {
      self->quit();
      return fetch_over_tcp(b, timeout);
    },
  };
}

} // namespace

caf::actor spawn_blob_fetcher(caf::actor_system& sys) {
  return sys.spawn<caf::detached>(blob_fetcher);
}

std::shared_ptr<data_plane> make_data_plane(const std::string& host, bool tls) {
  auto plane = std::make_shared<data_plane>();
  if (tls)
    return plane;
  if (auto err = plane->listen(host)) {
    std::cerr << "libworkers: data plane off, large tensors travel in chunks: "
              << render(err) << '\n';
    return plane;
  }
  plane->set_fetcher_factory(spawn_blob_fetcher);
  return plane;
}

} // namespace workers
