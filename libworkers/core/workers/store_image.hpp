#pragma once

// store_image: everything of an object_store that outlives a restart, as
// plain data (object_store::image() makes one, object_store::restore() reads
// one back; snapshot.hpp puts it on disk).
//
// Kept: every stored object (tensor or pointer entry) with its id, value,
// policy, tags, origin (produced_by), creation order and holders -- each
// holder with whether it is the worker's own reference (keep, loaded data)
// -- and every tombstone (T1) with its reason, error and holders.
// Not kept, because what they stand for does not survive the process:
//   - pins (L1): they belong to requests accepted before the stop, which
//     are never answered now; an object that only a pin kept goes;
//   - early retain/release records and expectations (R3, pipelining): the
//     messages they wait for were lost with the connections;
//   - lease ages (F1): restore() grants every reference a fresh lease.
//
// Example:
//   auto img = store.image();                  // bob's objects and holders
//   object_store back{"bob"};
//   if (auto err = back.restore(img)) ...      // same ids, values, holders

#include <string>
#include <vector>

#include <caf/error.hpp>

#include "workers/object_id.hpp"
#include "workers/protocol.hpp"

namespace workers {

struct store_image {
  /// One reference: its holder id, and whether it is the worker's own.
  struct holder {
    object_id id;
    bool own = false;
  };

  struct object {
    object_id id;
    stored_value value;
    std::vector<holder> holders;
    std::string produced_by;
    std::vector<std::string> tags;
  };

  struct grave {
    object_id id;
    /// object_store.hpp's gone_reason.
    uint8_t reason = 0;
    caf::error error;
    std::vector<holder> holders;
  };

  /// The store's owner (the worker's name).
  std::string owner;
  /// Stored objects in creation order.
  std::vector<object> objects;
  /// Tombstones, in no particular order.
  std::vector<grave> tombstones;
};

} // namespace workers
