#include "workers/client.hpp"

namespace workers {

client::client(caf::actor_system& sys, std::string name, client_options opts)
  : sys_(&sys), name_(std::move(name)), opts_(opts) {
  // nop
}

caf::error client::translate(const caf::error& err,
                             const worker_ref& dest) const {
  return from_transport(err, dest.name, timeout());
}

void client::begin_op() {
  std::lock_guard<std::mutex> guard{ops_mtx_};
  ++ops_in_flight_;
}

void client::end_op() {
  bool done = false;
  {
    std::lock_guard<std::mutex> guard{ops_mtx_};
    if (ops_in_flight_ > 0)
      --ops_in_flight_;
    done = ops_in_flight_ == 0;
  }
  if (done)
    ops_done_.notify_all();
}

caf::error client::barrier() {
  std::unique_lock<std::mutex> guard{ops_mtx_};
  if (ops_done_.wait_for(guard, timeout(),
                         [this] { return ops_in_flight_ == 0; }))
    return {};
  auto lost = ops_in_flight_;
  ops_in_flight_ = 0;
  return make_error(errc::timeout,
                    std::to_string(lost)
                      + " operations sent earlier were not acknowledged in "
                        "time (is a worker down?)");
}

} // namespace workers
