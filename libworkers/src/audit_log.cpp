#include "workers/audit_log.hpp"

#include "workers/error.hpp"

namespace workers {

void audit_log::record(std::string kind, std::string to, object_id id,
                       uint64_t bytes, std::string produced_by,
                       std::string note) {
  if (max_ == 0) {
    ++dropped_;
    return;
  }
  if (entries_.size() == max_) {
    entries_.pop_front();
    ++dropped_;
  }
  entries_.push_back(audit_entry{++next_seq_, std::move(kind), std::move(to),
                                 id, bytes, std::move(produced_by),
                                 std::move(note)});
}

void audit_log::refused(const std::string& operation, std::string who,
                        object_id id, const caf::error& why) {
  record("refused " + operation, std::move(who), id, 0, {}, message_of(why));
}

std::vector<audit_entry> audit_log::entries() const {
  return {entries_.begin(), entries_.end()};
}

} // namespace workers
