// Writes the seed corpus of every harness (tests/fuzz/corpus/<harness>/)
// from real values: serialized messages for fuzz_wire and fuzz_tensor,
// operation layouts for fuzz_op (see its header), small IDX files, and the
// shipped config files for fuzz_config. Run by scripts/fuzz.sh --seeds;
// the output is committed, so CI replays it without running this.
//
// Usage: fuzz_seeds CORPUS_DIR CONFIG_DIR

#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <caf/make_message.hpp>

#include "fuzz.hpp"
#include "workers/fl/dataset.hpp"
#include "workers/fl/fashion_mnist_source.hpp"
#include "workers/protocol.hpp"

using namespace workers;
namespace fs = std::filesystem;

namespace {

fs::path corpus;

// Writes `bytes` as corpus/<harness>/<name>.
void write(const std::string& harness, const std::string& name,
           const std::vector<char>& bytes) {
  auto dir = corpus / harness;
  fs::create_directories(dir);
  std::ofstream out{dir / name, std::ios::binary};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fuzz_wire seed: the type byte, then `x` encoded.
template <class T>
void wire(fuzz::wire_type type, const std::string& name, const T& x) {
  auto bytes = fuzz::encode(x);
  bytes.insert(bytes.begin(), static_cast<char>(type));
  write("wire", name, bytes);
}

/// Builds fuzz_op inputs in its layout.
struct op_input_writer {
  std::vector<char> bytes;

  template <class T>
  op_input_writer& put(T x) {
    auto p = reinterpret_cast<const char*>(&x);
    bytes.insert(bytes.end(), p, p + sizeof(T));
    return *this;
  }

  op_input_writer(opcode op, uint8_t count, const op_attrs& a) {
    put(static_cast<uint8_t>(op)).put(count).put(a.axis);
    put(static_cast<uint8_t>(a.keepdims)).put(a.start).put(a.length);
    put(a.num_classes).put(static_cast<uint8_t>(a.to));
    put(static_cast<uint8_t>(a.new_shape.size()));
    for (auto d : a.new_shape)
      put(d);
  }

  op_input_writer& fixture(uint8_t i) { return put(uint8_t{0}).put(i); }

  // A built operand (mode 1: stored, 2: literal) of `dt` and `dims`,
  // elements 1, 2, 3, ... as raw bytes of `dt`.
  op_input_writer& built(uint8_t mode, dtype dt, std::vector<uint16_t> dims) {
    put(mode).put(static_cast<uint8_t>(dt));
    put(static_cast<uint8_t>(dims.size()));
    size_t n = 1;
    for (auto d : dims) {
      put(d);
      n *= d;
    }
    for (size_t i = 0; i < n; ++i) {
      if (dt == dtype::int64)
        put(static_cast<int64_t>(i + 1));
      else if (dt == dtype::float32)
        put(static_cast<float>(i + 1));
      else
        put(static_cast<double>(i + 1));
    }
    return *this;
  }
};

op_attrs axis_attrs(int64_t axis) {
  op_attrs a;
  a.axis = axis;
  return a;
}

void op_seeds() {
  auto w = [](const std::string& name, const op_input_writer& x) {
    write("op", name, x.bytes);
  };
  op_attrs none;
  w("add", op_input_writer{opcode::add, 2, none}.fixture(0).fixture(0));
  w("add_broadcast", op_input_writer{opcode::add, 2, none}
                       .built(1, dtype::float32, {2, 1})
                       .built(2, dtype::float32, {1, 3}));
  w("matmul", op_input_writer{opcode::matmul, 2, none}
                .built(1, dtype::float64, {2, 3})
                .fixture(2));
  // The attack of issue 13: [n, 0] x [0, n] (a 0 dim makes it cheap here).
  w("matmul_empty_inner", op_input_writer{opcode::matmul, 2, none}
                            .built(1, dtype::float32, {60000, 0})
                            .built(1, dtype::float32, {0, 60000}));
  op_attrs hot;
  hot.num_classes = 10;
  w("one_hot", op_input_writer{opcode::one_hot, 1, hot}.fixture(1));
  hot.num_classes = int64_t{1} << 40; // the attack of issue 13
  w("one_hot_huge", op_input_writer{opcode::one_hot, 1, hot}.fixture(1));
  op_attrs narrow = axis_attrs(1);
  narrow.start = 1;
  narrow.length = 2;
  w("narrow", op_input_writer{opcode::narrow, 1, narrow}.fixture(0));
  op_attrs reshape;
  reshape.new_shape = {3, -1};
  w("reshape", op_input_writer{opcode::reshape, 1, reshape}.fixture(0));
  w("sum_axis", op_input_writer{opcode::sum, 1, axis_attrs(-1)}.fixture(2));
  w("argmax", op_input_writer{opcode::argmax, 1, axis_attrs(0)}.fixture(0));
  w("softmax", op_input_writer{opcode::softmax, 1, axis_attrs(1)}.fixture(0));
  op_attrs cast;
  cast.to = dtype::int64;
  w("cast", op_input_writer{opcode::cast, 1, cast}.fixture(2));
  w("transpose", op_input_writer{opcode::transpose, 1, none}.fixture(0));
  w("random_like", op_input_writer{opcode::random_like, 1, none}.fixture(1));
  w("literal_mul", op_input_writer{opcode::mul, 2, none}.fixture(1).built(
                     2, dtype::float64, {}));
  w("log_rank4", op_input_writer{opcode::log, 1, none}.built(1, dtype::float32,
                                                             {1, 2, 2, 2}));
}

void wire_seeds() {
  using t = fuzz::wire_type;
  id_generator ids{1};
  auto id = ids.next();
  wire(t::object_id, "object_id", id);
  wire(t::tensor, "tensor", tensor{{1.5, 2.5}, {3.5, 4.5}});
  wire(t::stored_value, "stored_value", stored_value{tensor{1, 2, 3}});
  wire(t::taken_value, "taken_value",
       taken_value{stored_value{tensor{1, 2}}, id, {}});
  op_attrs attrs;
  attrs.axis = 1;
  op_request req{
    opcode::add, {operand{fuzz::fixture_ids[0]}, operand{tensor::scalar(2.0)}},
    attrs,       ids.next(),
    ids.next(),  {}};
  wire(t::op_request, "op_request_add", req);
  req.op = opcode::one_hot;
  req.args = {operand{fuzz::fixture_ids[1]}};
  req.attrs.num_classes = int64_t{100000000} * 100000;
  wire(t::op_request, "op_request_one_hot_huge", req);
  req.op = opcode::matmul;
  req.args = {operand{tensor::zeros(shape{1000000, 0})},
              operand{tensor::zeros(shape{0, 1000000})}};
  wire(t::op_request, "op_request_matmul_empty_inner", req);
  // The crash of issue 13: an operand's variant tag 30 (CAF threw from
  // inside the middleman). The tag is the first byte in which the encodings
  // of an id operand (tag 0) and a tensor operand (tag 1) differ.
  req.op = opcode::neg;
  req.args = {operand{tensor{1}}};
  auto other = fuzz::encode(req);
  req.args = {operand{fuzz::fixture_ids[0]}};
  auto bad = fuzz::encode(req);
  size_t tag = 0;
  while (bad[tag] == other[tag])
    ++tag;
  bad[tag] = 30;
  bad.insert(bad.begin(), static_cast<char>(t::op_request));
  write("wire", "op_request_bad_variant_tag", bad);
  wire(t::store_listing, "store_listing",
       store_listing{"bob", {{id, stored_value{tensor{1.f}}}}, {}});
  wire(t::worker_stats, "worker_stats", worker_stats{1, 2, 3});
  plan_builder b{"axpy"};
  auto a = b.input();
  auto x = b.input();
  auto y = b.input();
  b.output((a * x + y).sum(0));
  wire(t::plan, "plan", b.finish());
  wire(t::plan_run, "plan_run",
       plan_run{ids.next(),
                {fuzz::fixture_ids[0], fuzz::fixture_ids[0]},
                {ids.next()},
                {ids.next()},
                ids.next()});
  search_hit hit{id, ids.next(), {"#a"}, dtype::int64, shape{4}};
  wire(t::search_hit, "search_hit", hit);
  wire(t::search_hits, "search_hits", std::vector<search_hit>{hit, hit});
  audit_entry entry{1, "get", "me", id, 8, "add", {}};
  wire(t::audit_entry, "audit_entry", entry);
  wire(t::audit_entries, "audit_entries", std::vector<audit_entry>{entry});
  wire(t::object_ids, "object_ids", std::vector<object_id>{id, ids.next()});
  shard_spec spec;
  spec.shards = 3;
  spec.shard = 1;
  spec.limit = 2;
  wire(t::data_request, "data_request", shard_request("bob", spec));
  // Fuzzing found std::length_error here: first + limit wrapped around.
  spec.limit = std::numeric_limits<uint64_t>::max();
  wire(t::data_request, "data_request_huge_limit", shard_request("bob", spec));
  spec.iid = false;
  spec.labels = {1, 2};
  spec.limit = 0;
  wire(t::data_request, "data_request_non_iid",
       shard_request("bob", spec, {"#a"}));
  wire(t::lease_claim, "lease_claim", lease_claim{id, ids.next()});
  wire(t::lease_claims, "lease_claims",
       std::vector<lease_claim>{{id, ids.next()}});
  wire(t::strings, "strings", std::vector<std::string>{"#fashion", "#train"});
  wire(
    t::message, "message_exec",
    caf::make_message(
      exec_atom::value,
      op_request{opcode::neg, {operand{id}}, {}, ids.next(), ids.next(), {}}));
  wire(t::message, "message_put",
       caf::make_message(caf::put_atom::value, id, stored_value{tensor{1, 2}},
                         ids.next()));
}

void tensor_seeds() {
  write("tensor", "int64_1d", fuzz::encode(tensor{1, 2, 3}));
  write("tensor", "float32_2d", fuzz::encode(tensor{{1.f, 2.f}, {3.f, 4.f}}));
  write("tensor", "float64_scalar", fuzz::encode(tensor::scalar(2.5)));
  write("tensor", "empty", fuzz::encode(tensor::zeros(shape{2, 0})));
  write("tensor", "rank4",
        fuzz::encode(tensor::zeros(shape{1, 2, 1, 2}, dtype::int64)));
}

// An IDX file of unsigned bytes with dims `dims`, elements 0, 1, 2, ...
std::vector<char> idx_file(std::vector<uint32_t> dims) {
  std::vector<char> out{0, 0, 8, static_cast<char>(dims.size())};
  size_t n = 1;
  for (auto d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((d >> shift) & 0xff));
    n *= d;
  }
  for (size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>(i));
  return out;
}

void idx_seeds() {
  write("idx", "labels", idx_file({5}));
  write("idx", "images", idx_file({2, 3, 3}));
  write("idx", "rank4", idx_file({1, 2, 1, 2}));
}

void config_seeds(const fs::path& config_dir) {
  for (auto& entry : fs::directory_iterator{config_dir}) {
    if (entry.path().extension() != ".ini")
      continue;
    std::ifstream in{entry.path(), std::ios::binary};
    std::vector<char> bytes{std::istreambuf_iterator<char>{in},
                            std::istreambuf_iterator<char>{}};
    write("config", entry.path().filename().string(), bytes);
  }
  std::string limits = "[workers]\nmax-tensor-bytes=1048576\n"
                       "park-timeout=2s\n[node]\nworkers=[\"bob\"]\nport=0\n";
  write("config", "limits.ini", {limits.begin(), limits.end()});
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_seeds CORPUS_DIR CONFIG_DIR\n";
    return 2;
  }
  corpus = argv[1];
  wire_seeds();
  tensor_seeds();
  op_seeds();
  idx_seeds();
  config_seeds(argv[2]);
  std::cout << "seeds written to " << corpus << '\n';
  return 0;
}
