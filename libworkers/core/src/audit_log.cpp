#include "workers/audit_log.hpp"

#include <algorithm>
#include <iterator>

#include "workers/audit_writer.hpp"
#include "workers/error.hpp"
#include "workers/log.hpp"

namespace workers {

void audit_log::record(std::string kind, std::string to, object_id id,
                       uint64_t bytes, std::string produced_by,
                       std::string note) {
  audit_entry entry{++next_seq_, std::move(kind),        std::move(to),  id,
                    bytes,       std::move(produced_by), std::move(note)};
  if (file_) {
    if (auto err = file_->append(entry); err && !sink_error_) {
      log(log_level::error, "audit", message_of(err));
      sink_error_ = std::move(err);
    }
  }
  if (max_ == 0) {
    ++dropped_;
    return;
  }
  if (entries_.size() == max_) {
    entries_.pop_front();
    ++dropped_;
  }
  entries_.push_back(std::move(entry));
}

void audit_log::refused(const std::string& operation, std::string who,
                        object_id id, const caf::error& why) {
  record("refused " + operation, std::move(who), id, 0, {}, message_of(why));
}

std::vector<audit_entry> audit_log::entries() const {
  return {entries_.begin(), entries_.end()};
}

void audit_log::restore(std::vector<audit_entry> entries, uint64_t dropped) {
  for (auto& x : entries)
    next_seq_ = std::max(next_seq_, x.seq);
  dropped_ += dropped;
  entries_.assign(std::make_move_iterator(entries.begin()),
                  std::make_move_iterator(entries.end()));
  while (entries_.size() > max_) {
    entries_.pop_front();
    ++dropped_;
  }
}

void audit_log::attach(std::shared_ptr<audit_writer> file) {
  if (file)
    next_seq_ = std::max(next_seq_, file->last_seq());
  file_ = std::move(file);
}

} // namespace workers
