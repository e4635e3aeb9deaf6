#include "workers/fl/federated_loader.hpp"

#include <utility>

namespace workers {

federated_loader::iterator::iterator(
  const federated_dataset* data,
  std::shared_ptr<const std::vector<batch_slice>> pass)
  : data_(data), pass_(std::move(pass)) {
  cut();
}

void federated_loader::iterator::cut() {
  if (at_end())
    return;
  auto& s = (*pass_)[index_];
  auto& shard = (*data_)[s.owner];
  federated_batch b;
  b.owner = s.owner;
  b.location = shard.where;
  b.start = s.start;
  b.rows = s.rows;
  b.data = shard.images.narrow(0, s.start, s.rows);
  b.target = shard.labels.narrow(0, s.start, s.rows);
  current_ = std::move(b);
}

federated_loader::iterator& federated_loader::iterator::operator++() {
  current_.reset(); // FL1: the handles go before the next batch is cut
  ++index_;
  cut();
  return *this;
}

federated_loader::federated_loader(federated_dataset data,
                                   schedule_options opts)
  : data_(std::move(data)), schedule_(data_.samples_per_shard(), opts) {
  // nop
}

federated_loader::iterator federated_loader::begin() {
  auto pass =
    std::make_shared<const std::vector<batch_slice>>(schedule_.next_pass());
  return iterator{&data_, std::move(pass)};
}

} // namespace workers
