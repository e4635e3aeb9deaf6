#include "worker_loading.hpp"

#include "worker_identity.hpp"
#include "worker_links.hpp"
#include "workers/error.hpp"
#include <caf/event_based_actor.hpp>
#include <memory>

namespace workers::worker_detail {

namespace {

// The detached helper behind `load`: reads `request` with `source` from
// `dir`, answers what it read, and quits.
caf::behavior data_loader(caf::event_based_actor* self,
                          std::shared_ptr<const data_sources> sources,
                          std::string dir) {
  return {
    [self, sources, dir](load_atom, const data_request& request)
      -> caf::result<std::vector<std::string>, std::vector<tensor>, uint64_t> {
      self->quit();
      auto data = sources->find(request.format)->load(request.settings, dir);
      if (!data)
        return std::move(data.error());
      std::vector<std::string> names;
      std::vector<tensor> parts;
      for (auto& [name, part] : data->parts) {
        names.push_back(name);
        parts.push_back(std::move(part));
      }
      return {std::move(names), std::move(parts), data->rows};
    },
  };
}

// Keeps the parts of a load as this worker's own objects (held by the
// worker itself until clear), each tagged with the source's and the
// request's tags and "#<part>", guarded by part_policy.
void keep_parts(worker_pointer self, const data_request& request,
                const std::vector<std::string>& source_tags,
                std::vector<std::string> names, std::vector<tensor> parts) {
  auto& st = self->state;
  for (size_t k = 0; k < names.size() && k < parts.size(); ++k) {
    auto id = st.ids.next();
    outbox out;
    // The worker's own data: its holder is the worker's, never leased out.
    st.store.insert_own(
      id,
      stored_value{std::move(parts[k]),
                   part_policy(request, st.store.owner(), names[k])},
      st.holder_ids.next(), out, "loaded");
    auto tags = source_tags;
    tags.insert(tags.end(), request.tags.begin(), request.tags.end());
    tags.push_back("#" + names[k]);
    st.store.tag(id, tags);
    flush(self, out);
  }
}

// `request` with its settings in canonical form, if this worker can load it
// (S2, S4 of data_source.hpp); else bad_argument naming the request and
// why: another worker's request, a format without a source, bad settings.
caf::expected<data_request> admit_load(const worker_options& opts,
                                       const std::string& name,
                                       data_request request) {
  auto fail = [&](const std::string& why) {
    return make_error(errc::bad_argument,
                      "dataset entry \"" + to_string(request) + "\": " + why);
  };
  if (request.worker != name)
    return fail("it names worker " + request.worker + ", not " + name);
  auto source = opts.sources ? opts.sources->find(request.format) : nullptr;
  if (source == nullptr)
    return fail("worker " + name + " has no source for format \"" +
                request.format + "\" (it has: " +
                (opts.sources ? opts.sources->names() : std::string{"none"}) +
                ")");
  auto settings = source->normalize(request.settings);
  if (!settings)
    return fail(message_of(settings.error()));
  request.settings = std::move(*settings);
  return request;
}

} // namespace

caf::typed_response_promise<uint64_t> serve_load(worker_pointer self,
                                                 data_request request) {
  auto who = resolve(self);
  auto rp = self->make_response_promise<uint64_t>();
  auto& st = self->state;
  if (st.store.access().enforce && !who.admin) {
    refuse(self, rp, who, "load", object_id{},
           admin_only(st.store.owner(), who, "load data"));
    return rp;
  }
  auto admitted = admit_load(st.opts, st.store.owner(), std::move(request));
  if (!admitted) {
    rp.deliver(std::move(admitted.error()));
    return rp;
  }
  request = std::move(*admitted);
  auto source_tags =
    st.opts.sources->find(request.format)->tags(request.settings);
  auto loader =
    self->spawn<caf::detached>(data_loader, st.opts.sources, st.opts.data_dir);
  self->request(loader, caf::infinite, load_atom::value, request)
    .then(
      [self, rp, request, source_tags](std::vector<std::string>& names,
                                       std::vector<tensor>& parts,
                                       uint64_t rows) mutable {
        keep_parts(self, request, source_tags, std::move(names),
                   std::move(parts));
        rp.deliver(rows);
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

} // namespace workers::worker_detail
