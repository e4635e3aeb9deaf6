#include "sim/program.hpp"

#include <sstream>

namespace workers::sim {

const char* to_string(step_kind x) {
  static constexpr const char* names[] = {
    "send", "neg",      "add_lit", "mul_lit", "add",  "sub",
    "mul",  "send_ptr", "move",    "get",     "copy", "drop",
    "tag",  "search",   "clear",   "barrier", "idle", "crash"};
  return names[static_cast<size_t>(x)];
}

bool creates_slot(step_kind k) {
  switch (k) {
  case step_kind::send:
  case step_kind::neg:
  case step_kind::add_lit:
  case step_kind::mul_lit:
  case step_kind::add:
  case step_kind::sub:
  case step_kind::mul:
  case step_kind::send_ptr:
  case step_kind::get:
  case step_kind::copy:
    return true;
  default:
    return false;
  }
}

namespace {

// What the generator believes about a slot (the model knows better: this
// only steers the draw towards programs that mostly make sense).
struct guess {
  size_t slot;
  size_t depth;
  size_t worker;
};

} // namespace

program generate(std::mt19937_64& rng, size_t length, bool crash) {
  auto pick = [&](size_t n) {
    return static_cast<size_t>(std::uniform_int_distribution<size_t>{0, n - 1}(rng));
  };
  auto chance = [&](double p) {
    return std::uniform_real_distribution<double>{0, 1}(rng) < p;
  };
  program p;
  p.workers = 3 + pick(3);
  std::vector<guess> live;
  auto small_int = [&] { return static_cast<double>(pick(7)) - 3; };
  auto crash_at = crash ? length / 4 + pick(length / 2) : length;
  auto crashed = p.workers; // none yet
  // A worker to send to, move to, search or clear: never a crashed one.
  auto target = [&] {
    for (;;)
      if (auto w = pick(p.workers); w != crashed)
        return w;
  };
  for (size_t i = 0; i < length; ++i) {
    step s;
    auto index = p.steps.size();
    if (i == crash_at) {
      s.kind = step_kind::crash;
      s.worker = crashed = pick(p.workers);
      p.steps.push_back(std::move(s));
      continue;
    }
    auto r = pick(100);
    if (live.empty() || r < 14) {
      s.kind = step_kind::send;
      s.worker = target();
      s.values.resize(chance(0.8) ? 2 : 3);
      for (auto& v : s.values)
        v = small_int();
      live.push_back({index, 1, s.worker});
    } else if (r < 30) {
      auto& x = live[pick(live.size())];
      static constexpr step_kind unary[] = {step_kind::neg, step_kind::add_lit,
                                            step_kind::mul_lit};
      s.kind = unary[pick(3)];
      s.slot = x.slot;
      s.literal = small_int();
      live.push_back({index, x.depth, x.worker});
    } else if (r < 42) {
      auto x = live[pick(live.size())];
      // Mostly an operand where the generator believes x is.
      std::vector<guess> near;
      for (auto& y : live)
        if (y.worker == x.worker && y.depth == x.depth)
          near.push_back(y);
      auto y = !near.empty() && chance(0.9) ? near[pick(near.size())]
                                            : live[pick(live.size())];
      static constexpr step_kind binary[] = {step_kind::add, step_kind::sub,
                                             step_kind::mul};
      s.kind = binary[pick(3)];
      s.slot = x.slot;
      s.other = y.slot;
      live.push_back({index, x.depth, x.worker});
    } else if (r < 50) {
      auto& x = live[pick(live.size())];
      if (x.depth >= 4)
        continue;
      s.kind = step_kind::send_ptr;
      s.slot = x.slot;
      s.worker = target();
      live.push_back({index, x.depth + 1, s.worker});
    } else if (r < 63) {
      auto& x = live[pick(live.size())];
      s.kind = step_kind::move;
      s.slot = x.slot;
      // To another worker, back, or where it is already.
      s.worker = target();
      x.worker = s.worker;
    } else if (r < 72) {
      auto i = pick(live.size());
      auto x = live[i];
      s.kind = step_kind::get;
      s.slot = x.slot;
      live.erase(live.begin() + static_cast<ptrdiff_t>(i));
      if (x.depth > 1)
        live.push_back({index, x.depth - 1, x.worker});
    } else if (r < 78) {
      auto& x = live[pick(live.size())];
      s.kind = step_kind::copy;
      s.slot = x.slot;
      live.push_back({index, x.depth, x.worker});
    } else if (r < 90) {
      auto i = pick(live.size());
      s.kind = step_kind::drop;
      s.slot = live[i].slot;
      live.erase(live.begin() + static_cast<ptrdiff_t>(i));
    } else if (r < 93) {
      auto& x = live[pick(live.size())];
      s.kind = step_kind::tag;
      s.slot = x.slot;
      s.literal = static_cast<double>(pick(2));
    } else if (r < 95) {
      s.kind = step_kind::search;
      s.worker = target();
      s.literal = static_cast<double>(pick(2));
    } else if (r < 96) {
      s.kind = step_kind::clear;
      s.worker = target();
    } else if (r < 98) {
      s.kind = step_kind::barrier;
    } else {
      // Up to 3 s: with the harness's 400 ms lease, several lease periods.
      s.kind = step_kind::idle;
      s.literal = static_cast<double>(5 + pick(26));
    }
    p.steps.push_back(std::move(s));
  }
  return p;
}

std::string to_string(const program& p) {
  std::ostringstream out;
  out << "program over " << p.workers << " workers:\n";
  for (size_t i = 0; i < p.steps.size(); ++i) {
    auto& s = p.steps[i];
    out << "  #" << i << ' ' << to_string(s.kind);
    switch (s.kind) {
    case step_kind::send:
      out << " [";
      for (size_t k = 0; k < s.values.size(); ++k)
        out << (k > 0 ? ", " : "") << s.values[k];
      out << "] -> w" << s.worker;
      break;
    case step_kind::add_lit:
    case step_kind::mul_lit:
      out << " #" << s.slot << ' ' << s.literal;
      break;
    case step_kind::add:
    case step_kind::sub:
    case step_kind::mul:
      out << " #" << s.slot << " #" << s.other;
      break;
    case step_kind::send_ptr:
    case step_kind::move:
      out << " #" << s.slot << " -> w" << s.worker;
      break;
    case step_kind::tag:
      out << " #" << s.slot << " #t" << s.literal;
      break;
    case step_kind::search:
      out << " w" << s.worker << " #t" << s.literal;
      break;
    case step_kind::clear:
    case step_kind::crash:
      out << " w" << s.worker;
      break;
    case step_kind::barrier:
      break;
    case step_kind::idle:
      out << ' ' << s.literal << " ticks";
      break;
    default:
      out << " #" << s.slot;
    }
    out << '\n';
  }
  return out.str();
}

} // namespace workers::sim
