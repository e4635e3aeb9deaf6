#pragma once

// CAF type information for every type that travels in a message. Forgetting a
// type here compiles fine and fails at run time across nodes ("cannot
// serialize message"); tests/wire_types_test.cpp round-trips one instance of
// each through CAF's binary serializer to catch that.

// clang-format off: one type per line, in the order of their ids.
#include <caf/type_id.hpp>

#include "workers/protocol.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(libworkers, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(libworkers, (workers::object_id))
CAF_ADD_TYPE_ID(libworkers, (workers::tensor))
CAF_ADD_TYPE_ID(libworkers, (workers::worker_ref))
CAF_ADD_TYPE_ID(libworkers, (workers::stored_value))
CAF_ADD_TYPE_ID(libworkers, (workers::taken_value))
CAF_ADD_TYPE_ID(libworkers, (workers::op_request))
CAF_ADD_TYPE_ID(libworkers, (workers::store_listing))
CAF_ADD_TYPE_ID(libworkers, (workers::worker_actor))
CAF_ADD_TYPE_ID(libworkers, (workers::worker_stats))
CAF_ADD_TYPE_ID(libworkers, (workers::directory_actor))
CAF_ADD_TYPE_ID(libworkers, (std::vector<std::string>))
CAF_ADD_TYPE_ID(libworkers, (workers::blob_ref))
CAF_ADD_TYPE_ID(libworkers, (std::vector<uint8_t>))
CAF_ADD_TYPE_ID(libworkers, (workers::plan))
CAF_ADD_TYPE_ID(libworkers, (workers::plan_run))
CAF_ADD_TYPE_ID(libworkers, (workers::search_hit))
CAF_ADD_TYPE_ID(libworkers, (std::vector<workers::search_hit>))
CAF_ADD_TYPE_ID(libworkers, (workers::audit_entry))
CAF_ADD_TYPE_ID(libworkers, (std::vector<workers::audit_entry>))
CAF_ADD_TYPE_ID(libworkers, (std::vector<workers::object_id>))
CAF_ADD_TYPE_ID(libworkers, (workers::lease_claim))
CAF_ADD_TYPE_ID(libworkers, (std::vector<workers::lease_claim>))
CAF_ADD_TYPE_ID(libworkers, (workers::grant))
CAF_ADD_TYPE_ID(libworkers, (workers::object_policy))
CAF_ADD_TYPE_ID(libworkers, (workers::blob_token))
CAF_ADD_TYPE_ID(libworkers, (workers::data_request))

CAF_END_TYPE_ID_BLOCK(libworkers)
