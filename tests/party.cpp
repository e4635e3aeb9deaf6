// Test helper: another party of a cluster -- a curious model owner, an
// intruder with a valid certificate -- that speaks the worker protocol
// directly, as any program could, and prints what each request got
// (tests/access_test.cpp).
//   party CERT KEY CAFILE DECLARED_NAME NAME@HOST:PORT... -- STEP...
// Each STEP prints one line "STEP => ok ..." or "STEP => <error kind>:
// <message>". Ids are written as printed ("seq@origin"), or as "$K" for the
// K-th hit of the last search (from 1; its holder comes with it). Steps:
//   get:W:ID[:HOLDER]         take an object home
//   move:W:ID[:HOLDER]:DEST   move it to worker DEST
//   compute:W:OP:ID[:FOR]     OP (neg, sum0, mean1) into a new object --
//                             claiming to act for FOR if given -- then get
//                             that result; prints the result's id and holder
//   zero:W:ID                 zero the object in place (zero_)
//   list:W                    count the values shown and hidden
//   search:W:TAG              search, then get each hit
//   tag:W:ID                  tag an object
//   permit:W:ID:RIGHT:WHO     grant RIGHT (take, move, see, compute, search)
//   define:W:PLAN_ID:NAME     define plan NAME (negate: -x, double: x * 2,
//                             decay: x *= 0.5 in place, no output)
//   run:W:PLAN_ID:ID          run plan PLAN_ID on ID, then get the output
//   update:W:PLAN_ID:ID       run plan PLAN_ID, which only writes its input
//                             ID in place (plan.hpp, P4)
//   clear:W                   clear
//   load:W                    ask the worker to load a dataset
//   train:W:X:Y               put w (float32 [2, 1]) requiring grad, compute
//                             mean((X w - Y)^2), backward, then get w's grad
//                             (remote_autograd.hpp)
// The party declares itself as DECLARED_NAME (the name a get carries for the
// audit log); its certificate says who it is.

#include <iostream>
#include <random>
#include <unordered_map>

#include <caf/scoped_actor.hpp>

#include "workers/actors/runtime.hpp"
#include "workers/cluster.hpp"
#include "workers/fl/fashion_mnist_source.hpp"

using namespace workers;

namespace {

std::vector<std::string> split(const std::string& x, char sep) {
  std::vector<std::string> result{{}};
  for (auto c : x)
    if (c == sep)
      result.emplace_back();
    else
      result.back() += c;
  return result;
}

object_id parse_id(const std::string& x) {
  auto id = parse_object_id(x);
  if (!id)
    throw std::runtime_error("bad id " + x);
  return *id;
}

// "ok" plus what `x` shows, or the error.
template <class T>
std::string outcome(const caf::expected<T>& x) {
  if (!x)
    return render(x.error());
  if constexpr (std::is_same_v<T, taken_value>) {
    if (x->value.is_tensor())
      return "ok " + to_string(x->value.as_tensor());
    if (x->blob.valid())
      return "ok (large tensor staged)";
    return "ok pointer";
  } else {
    return "ok";
  }
}

class party {
 public:
  party(runtime& rt, std::unordered_map<std::string, worker> workers)
    : self_(rt.system()), workers_(std::move(workers)) {
    // nop
  }

  std::string step(const std::string& text) {
    auto f = split(text, ':');
    auto& w = workers_.at(f.at(1)).ref();
    auto& verb = f[0];
    if (verb == "get") {
      auto [id, holder] = target(f, 2);
      return outcome(
        ask<taken_value>(w, caf::get_atom::value, id, holder, name_));
    }
    if (verb == "move") {
      auto [id, holder] = target(f, 2);
      return outcome(ask<caf::ok_atom>(
        w, move_atom::value, id, workers_.at(f.back()).ref(), fresh(), holder));
    }
    if (verb == "compute")
      return compute(w, f.at(2), id_of(f.at(3)),
                     f.size() > 4 ? f[4] : std::string{});
    if (verb == "zero") {
      op_request req{opcode::zeros_like,
                     {operand{parse_id(f.at(2))}},
                     {},
                     fresh(),
                     {},
                     {},
                     true};
      return "exec " + outcome(ask<caf::ok_atom>(w, exec_atom::value, req));
    }
    if (verb == "list") {
      auto x = ask<store_listing>(w, list_atom::value);
      if (!x)
        return render(x.error());
      return "ok " + std::to_string(x->entries.size()) + " shown, " +
             std::to_string(x->hidden.size()) + " hidden";
    }
    if (verb == "search")
      return search(w, f.at(2));
    if (verb == "tag")
      return outcome(ask<caf::ok_atom>(w, tag_atom::value, parse_id(f.at(2)),
                                       std::vector<std::string>{"#mine"}));
    if (verb == "permit")
      return permit(w, parse_id(f.at(2)), f.at(3), f.at(4));
    if (verb == "define")
      return outcome(ask<caf::ok_atom>(w, define_atom::value, parse_id(f.at(2)),
                                       make_plan(f.at(3))));
    if (verb == "run") {
      auto out = fresh();
      auto holder = fresh();
      auto ran = ask<caf::ok_atom>(
        w, run_atom::value,
        plan_run{parse_id(f.at(2)), {id_of(f.at(3))}, {out}, {holder}, {}});
      return "run " + outcome(ran) + "; get " +
             outcome(
               ask<taken_value>(w, caf::get_atom::value, out, holder, name_));
    }
    if (verb == "update") {
      plan_run r{parse_id(f.at(2)), {id_of(f.at(3))}, {}, {}, fresh()};
      return "run " + outcome(ask<caf::ok_atom>(w, run_atom::value, r));
    }
    if (verb == "clear")
      return outcome(ask<caf::ok_atom>(w, clear_atom::value));
    if (verb == "train")
      return train(w, id_of(f.at(2)), id_of(f.at(3)));
    if (verb == "load")
      return outcome(ask<uint64_t>(w, load_atom::value,
                                   shard_request(f.at(1), shard_spec{})));
    return "unknown step";
  }

  void set_name(std::string name) { name_ = std::move(name); }

 private:
  template <class T, class... Ts>
  caf::expected<T> ask(const worker_ref& w, Ts&&... xs) {
    caf::expected<T> result{caf::error{}};
    self_->request(w.hdl, std::chrono::seconds(10), std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  object_id fresh() { return object_id{origin_, ++seq_}; }

  // The object "$K" (a search hit) or an id names.
  object_id id_of(const std::string& x) {
    if (!x.empty() && x[0] == '$')
      return hits_.at(std::stoul(x.substr(1)) - 1).id;
    return parse_id(x);
  }

  // The object and holder named from field `i` on: "$K" (a search hit), or
  // an id followed by a holder id.
  std::pair<object_id, object_id> target(const std::vector<std::string>& f,
                                         size_t i) {
    auto& x = f.at(i);
    if (!x.empty() && x[0] == '$') {
      auto& hit = hits_.at(std::stoul(x.substr(1)) - 1);
      return {hit.id, hit.holder};
    }
    return {parse_id(x), i + 1 < f.size() ? parse_id(f[i + 1]) : object_id{}};
  }

  std::string compute(const worker_ref& w, const std::string& op, object_id id,
                      std::string on_behalf) {
    op_request req;
    req.principal = std::move(on_behalf);
    req.args.push_back(operand{id});
    if (op == "neg") {
      req.op = opcode::neg;
    } else if (op == "sum0" || op == "mean1") {
      req.op = op == "sum0" ? opcode::sum : opcode::mean;
      req.attrs.axis = op == "sum0" ? 0 : 1;
    } else {
      return "unknown op " + op;
    }
    req.result = fresh();
    req.holder = fresh();
    auto done = ask<caf::ok_atom>(w, exec_atom::value, req);
    return "exec " + outcome(done) + "; get " +
           outcome(ask<taken_value>(w, caf::get_atom::value, req.result,
                                    req.holder, name_)) +
           "; result " + to_string(req.result) + " " + to_string(req.holder);
  }

  // The train step: each request's outcome until the first failure, then
  // the get of the gradient.
  std::string train(const worker_ref& w, object_id x, object_id y) {
    auto wid = fresh();
    auto put =
      ask<caf::ok_atom>(w, caf::put_atom::value, wid,
                        stored_value{tensor::full({2, 1}, 0.5)}, fresh());
    if (!put)
      return "put " + outcome(put);
    // Sends `op` on `args`; returns the result id, or the error's text.
    std::string failure;
    auto exec = [&](opcode op, std::vector<object_id> args,
                    bool in_place = false) {
      op_request req;
      req.op = op;
      for (auto id : args)
        req.args.push_back(operand{id});
      req.result = fresh();
      req.holder = in_place ? object_id{} : fresh();
      req.in_place = in_place;
      auto done = ask<caf::ok_atom>(w, exec_atom::value, req);
      if (!done && failure.empty())
        failure = std::string{to_string(op)} + " " + outcome(done);
      return std::make_pair(req.result, req.holder);
    };
    exec(opcode::requires_grad, {wid}, true);
    auto p = exec(opcode::matmul, {x, wid}).first;
    auto d = exec(opcode::sub, {p, y}).first;
    auto sq = exec(opcode::mul, {d, d}).first;
    auto loss = exec(opcode::mean, {sq}).first;
    exec(opcode::backward, {loss}, true);
    auto [g, holder] = exec(opcode::grad, {wid});
    if (!failure.empty())
      return failure;
    return "backward ok; get " +
           outcome(ask<taken_value>(w, caf::get_atom::value, g, holder, name_));
  }

  std::string search(const worker_ref& w, const std::string& tag) {
    auto hits = ask<std::vector<search_hit>>(w, search_atom::value,
                                             std::vector<std::string>{tag});
    if (!hits)
      return render(hits.error());
    hits_ = *hits;
    std::string result = "ok " + std::to_string(hits->size()) + " hits";
    for (auto& h : *hits)
      result += "; get " + outcome(ask<taken_value>(w, caf::get_atom::value,
                                                    h.id, h.holder, name_));
    return result;
  }

  std::string permit(const worker_ref& w, object_id id, const std::string& r,
                     const std::string& who) {
    for (auto x = static_cast<uint8_t>(right::take);
         x <= static_cast<uint8_t>(last_right); ++x)
      if (r == to_string(static_cast<right>(x)))
        return outcome(ask<caf::ok_atom>(
          w, permit_atom::value, grant{id, static_cast<right>(x), who}));
    return "unknown right " + r;
  }

  static plan make_plan(const std::string& name) {
    plan_builder b{name};
    auto x = b.input();
    if (name == "double")
      b.output(x * 2.0);
    else if (name == "decay")
      x *= 0.5;
    else
      b.output(-x);
    return b.finish();
  }

  caf::scoped_actor self_;
  std::vector<search_hit> hits_;
  std::unordered_map<std::string, worker> workers_;
  std::string name_;
  uint64_t origin_ = std::random_device{}() | 1;
  uint64_t seq_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  if (argc < 6)
    return 2;
  runtime_options opts;
  opts.gate.files = {argv[1], argv[2], argv[3], ""};
  opts.me_name = argv[4];
  opts.client.request_timeout = std::chrono::seconds(10);
  runtime rt{opts};
  std::unordered_map<std::string, worker> workers;
  int i = 5;
  for (; i < argc && std::string{argv[i]} != "--"; ++i) {
    auto ep = parse_endpoint(argv[i]);
    if (!ep)
      return 2;
    auto w = rt.connect(ep->worker, ep->host, ep->port);
    if (!w) {
      std::cout << "connect " << argv[i] << " => " << render(w.error())
                << std::endl;
      return 1;
    }
    workers.emplace(ep->worker, *w);
  }
  party p{rt, std::move(workers)};
  p.set_name(opts.me_name);
  for (++i; i < argc; ++i) {
    std::string result;
    try {
      result = p.step(argv[i]);
    } catch (const std::exception& e) {
      result = std::string{"bad step: "} + e.what();
    }
    std::cout << argv[i] << " => " << result << std::endl;
  }
  return 0;
}
