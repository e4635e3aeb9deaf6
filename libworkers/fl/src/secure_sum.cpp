#include "workers/fl/secure_sum.hpp"

#include "workers/error.hpp"

namespace workers {

std::vector<pointer<tensor>> share(const pointer<tensor>& secret,
                                   const std::vector<worker>& holders) {
  std::vector<pointer<tensor>> shares;
  if (holders.empty())
    return shares;
  // A new object even for one holder: the secret itself never moves.
  auto last = secret + 0;
  for (size_t i = 0; i + 1 < holders.size(); ++i) {
    shares.push_back(secret.random_like());
    last = last - shares.back();
  }
  shares.push_back(last);
  for (size_t i = 0; i < holders.size(); ++i)
    shares[i].move(holders[i]);
  return shares;
}

caf::expected<tensor> sum_shared(const std::vector<pointer<tensor>>& secrets,
                                 const std::vector<worker>& holders) {
  if (secrets.empty() || holders.empty())
    return make_error(errc::bad_argument,
                      "sum_shared: needs at least one secret and one holder");
  std::vector<pointer<tensor>> holder_sums;
  // Every share and partial sum stays referenced until the holder sums are
  // home. Workaround: a worker whose operation waits for a share still in
  // flight does not pin the other operand, so releasing it early deletes it.
  std::vector<pointer<tensor>> keep_operands;
  for (auto& secret : secrets) {
    auto shares = share(secret, holders);
    keep_operands.insert(keep_operands.end(), shares.begin(), shares.end());
    if (holder_sums.empty()) {
      holder_sums = std::move(shares);
      continue;
    }
    for (size_t i = 0; i < holders.size(); ++i) {
      holder_sums[i] = holder_sums[i] + shares[i];
      keep_operands.push_back(holder_sums[i]);
    }
  }
  tensor total;
  for (size_t i = 0; i < holder_sums.size(); ++i) {
    auto part = holder_sums[i].try_get();
    if (!part)
      return with_context(part.error(),
                          "sum_shared: sum of holder " + holders[i].name());
    total = i == 0 ? std::move(*part) : total + *part;
  }
  return total;
}

caf::expected<tensor> secure_sum(const std::vector<pointer<tensor>>& models,
                                 const std::vector<worker>& holders,
                                 double scale) {
  std::vector<pointer<tensor>> encoded;
  encoded.reserve(models.size());
  for (auto& m : models)
    encoded.push_back(encode(m, scale));
  auto total = sum_shared(encoded, holders);
  if (!total)
    return std::move(total.error());
  return decode(*total, scale);
}

} // namespace workers
