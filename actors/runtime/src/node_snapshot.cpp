#include "workers/actors/node_snapshot.hpp"

#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <tuple>

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "workers/error.hpp"
#include "workers/actors/node.hpp"

namespace workers {

caf::expected<std::vector<std::shared_ptr<const worker_image>>>
load_worker_images(const std::string& dir,
                   const std::vector<std::string>& names) {
  if (dir.empty())
    return make_error(errc::bad_argument,
                      "node.restore needs node.snapshot-dir: the directory "
                      "the snapshots are in");
  std::vector<std::shared_ptr<const worker_image>> result;
  for (auto& name : names) {
    auto img = load_snapshot(snapshot_path(dir, name), name);
    if (!img)
      return make_error(errc::bad_argument, "cannot restore worker " + name +
                                              ": " + message_of(img.error()));
    result.push_back(std::make_shared<const worker_image>(std::move(*img)));
  }
  return result;
}

void find_handles(
  caf::actor_system& sys, gate& g,
  const std::vector<std::shared_ptr<const worker_image>>& images,
  caf::timespan timeout, handle_table& table) {
  std::set<std::string> own;
  for (auto& img : images)
    own.insert(img->worker);
  // The other nodes the entries name, with the names wanted from each.
  std::map<std::pair<std::string, uint16_t>, std::set<std::string>> wanted;
  for (auto& img : images)
    for (auto& x : img->store.objects)
      if (x.value.is_pointer()) {
        auto& where = x.value.as_pointer().where;
        if (own.count(where.name) == 0 && where.node_port != 0)
          wanted[{where.node_host, where.node_port}].insert(where.name);
      }
  caf::scoped_actor self{sys};
  for (auto& [addr, names] : wanted) {
    auto where = addr.first + ":" + std::to_string(addr.second);
    auto dir =
      g.remote_actor<directory_actor>(addr.first, addr.second, timeout);
    if (!dir) {
      std::cerr << "node: restore: cannot reach " << where << " ("
                << sys.render(dir.error()) << "); pointer entries to it stay "
                << "unbound\n";
      continue;
    }
    for (auto& name : names)
      self->request(*dir, timeout, lookup_atom::value, name)
        .receive(
          [&, name = name](worker_ref& ref) { table.by_name[name] = ref.hdl; },
          [&, name = name](caf::error& err) {
            std::cerr << "node: restore: no worker " << name << " at " << where
                      << " (" << sys.render(err) << ")\n";
          });
  }
}

void consume_snapshots(const std::string& dir,
                       const std::vector<std::string>& names) {
  for (auto& name : names) {
    auto path = snapshot_path(dir, name);
    auto done = path + ".restored";
    if (std::rename(path.c_str(), done.c_str()) != 0)
      std::cerr << "node: cannot rename " << path << " to " << done
                << " after restoring it\n";
  }
}

caf::error stop_with_snapshots(caf::actor_system& sys, node& n,
                               caf::timespan timeout) {
  caf::scoped_actor self{sys};
  for (auto& w : n.workers) {
    self->monitor(w.hdl);
    stop_with_snapshot(w.hdl);
  }
  caf::error first;
  size_t left = n.workers.size();
  bool timed_out = false;
  while (left > 0 && !timed_out)
    self->receive(
      [&](caf::down_msg& msg) {
        --left;
        if (msg.reason && msg.reason != caf::exit_reason::user_shutdown &&
            !first)
          first = std::move(msg.reason);
      },
      caf::after(timeout) >> [&] { timed_out = true; });
  n.stop(); // the directory and the gate (the workers are gone)
  if (timed_out && !first)
    return make_error(
      errc::timeout,
      std::to_string(left) +
        " workers did not save their "
        "snapshots within " +
        std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(timeout)
            .count()) +
        " ms");
  return first;
}

} // namespace workers
