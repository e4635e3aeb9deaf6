#pragma once

// ini_writer: settings as a CAF 0.17 INI file that reads back. CAF's own
// `--dump-config` prints `section { key = value }` blocks, which CAF 0.17's
// INI parser accepts but files under no option, so a dump used as a config
// file silently configures nothing. runtime_config prints this instead:
//
//   [cluster]
//   workers=[
//     "bob@127.0.0.1:27101",
//     "alice@127.0.0.1:27102",
//   ]
//   [workers]
//   request-timeout=10s

#include <string>

#include <caf/settings.hpp>

namespace workers {

/// `x` as INI text: top-level values under [global], then one [section]
/// per dictionary, lists of two or more entries one entry per line. Called
/// by runtime_config::parse_args for `--dump-config`.
std::string to_ini(const caf::settings& x);

} // namespace workers
