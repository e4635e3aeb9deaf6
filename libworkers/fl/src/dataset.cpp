#include "workers/fl/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

#include "workers/error.hpp"

namespace workers {

namespace {

caf::error bad_spec(const shard_spec& spec, const std::string& why) {
  return make_error(errc::bad_argument,
                    "load_shard(" + to_string(spec) + "): " + why);
}

} // namespace

caf::expected<std::vector<int64_t>> select_rows(const shard_spec& spec,
                                                const tensor& labels) {
  if (spec.shards == 0 || spec.shard >= spec.shards)
    return bad_spec(spec, "shard must be below shards");
  if (!spec.iid && spec.labels.empty())
    return bad_spec(spec, "a non-IID shard needs labels");
  auto n = labels.numel();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::mt19937_64 gen{spec.seed};
  std::shuffle(order.begin(), order.end(), gen);
  if (!spec.iid) {
    auto y = labels.data<int64_t>();
    auto& keep = spec.labels;
    auto dropped = [&](int64_t row) {
      return std::find(keep.begin(), keep.end(), y[row]) == keep.end();
    };
    order.erase(std::remove_if(order.begin(), order.end(), dropped),
                order.end());
  }
  auto total = order.size();
  auto first = total * spec.shard / spec.shards;
  auto last = total * (spec.shard + 1) / spec.shards;
  // Compared as a count: first + limit would wrap for a huge limit, making
  // last < first (fuzzing found the std::length_error that followed).
  if (spec.limit > 0 && spec.limit < last - first)
    last = first + static_cast<size_t>(spec.limit);
  if (first == last)
    return bad_spec(spec, "selects no samples");
  using diff = std::ptrdiff_t;
  return std::vector<int64_t>(order.begin() + static_cast<diff>(first),
                              order.begin() + static_cast<diff>(last));
}

tensor gather_rows(const tensor& x, const std::vector<int64_t>& rows) {
  auto dims = x.shape().dims();
  auto row_bytes =
    dims.empty() || dims[0] == 0 ? size_t{0} : x.nbytes() / size_t(dims[0]);
  dims[0] = static_cast<int64_t>(rows.size());
  auto out = tensor::zeros(shape{dims}, x.dtype());
  auto src = x.bytes();
  auto dst = out.mutable_bytes();
  for (size_t i = 0; i < rows.size() && row_bytes > 0; ++i)
    std::memcpy(dst + i * row_bytes, src + size_t(rows[i]) * row_bytes,
                row_bytes);
  return out;
}

caf::expected<labeled_data> load_shard(const shard_spec& spec,
                                       const std::string& dir) {
  const char* images_file = nullptr;
  const char* labels_file = nullptr;
  if (spec.split == "train") {
    images_file = fashion_mnist::train_images;
    labels_file = fashion_mnist::train_labels;
  } else if (spec.split == "test") {
    images_file = fashion_mnist::test_images;
    labels_file = fashion_mnist::test_labels;
  } else {
    return bad_spec(spec, "split must be \"train\" or \"test\"");
  }
  auto labels = load_labels(dir + "/" + labels_file);
  if (!labels)
    return std::move(labels.error());
  auto rows = select_rows(spec, *labels);
  if (!rows)
    return std::move(rows.error());
  auto images = load_images(dir + "/" + images_file);
  if (!images)
    return std::move(images.error());
  if (images->shape()[0] != labels->numel())
    return bad_spec(spec, "the image and label files of " + spec.split +
                            " hold different sample counts");
  return labeled_data{gather_rows(*images, *rows), gather_rows(*labels, *rows)};
}

std::vector<shard_spec> iid_shards(uint32_t owners, uint64_t limit,
                                   uint64_t seed) {
  std::vector<shard_spec> result(owners);
  for (uint32_t k = 0; k < owners; ++k) {
    result[k].shard = k;
    result[k].shards = owners;
    result[k].limit = limit;
    result[k].seed = seed;
  }
  return result;
}

std::vector<shard_spec> non_iid_shards(uint32_t owners, uint64_t limit,
                                       uint64_t seed, int64_t classes) {
  std::vector<shard_spec> result(owners);
  for (uint32_t k = 0; k < owners; ++k) {
    auto& spec = result[k];
    spec.iid = false;
    spec.limit = limit;
    spec.seed = seed;
    for (auto c = classes * k / owners; c < classes * (k + 1) / owners; ++c)
      spec.labels.push_back(c);
  }
  return result;
}

std::string to_string(const shard_spec& x) {
  auto result =
    x.split + " " + std::to_string(x.shard) + "/" + std::to_string(x.shards);
  if (x.iid) {
    result += " iid";
  } else {
    result += " non-iid {";
    for (size_t i = 0; i < x.labels.size(); ++i)
      result += (i > 0 ? "," : "") + std::to_string(x.labels[i]);
    result += "}";
  }
  if (x.limit > 0)
    result += " limit " + std::to_string(x.limit);
  return result + " seed " + std::to_string(x.seed);
}

} // namespace workers
