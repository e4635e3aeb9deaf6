#pragma once

// config_check: strict checks of a libworkers configuration, so that a
// mistake fails at start, naming the file, the key and what was expected.
//
// Design note: CAF 0.17 is lenient. Its INI parser keeps keys it has no
// option for in `content` and drops a value of the wrong type (a timespan
// without a unit, `request-timeout=5`) with a warning nobody sees, so the
// default silently stays. runtime_config::parse_args therefore reads the
// file a second time with no options declared (read_raw_ini: every key
// kept as written) and compares it with the options it declared
// (check_ini_settings). The cluster list, a node's workers and its datasets
// get their own checks (check_cluster_list, check_node_workers,
// check_data_entries). Every check is a plain
// function over settings and strings, unit-tested without an actor system;
// each returns a list of problems, one line each, empty if all is well.

#include <string>
#include <vector>

#include <caf/config_option_set.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/settings.hpp>

#include "workers/data_source.hpp"

namespace workers {

/// Problems found in a configuration, one human-readable line each, e.g.
/// "config/x.ini: [workers] request-timeout=5: expected a duration with a
/// unit (e.g. 10s, 500ms, 2min)".
using config_problems = std::vector<std::string>;

/// The sections libworkers itself declares; runtime_config checks their
/// keys strictly (node_config adds "node" and "data").
std::vector<std::string> project_sections();

/// Sections a shared cluster file may hold for node programs only ("data":
/// every owner's datasets in one file). check_ini_settings skips them in
/// programs that do not declare them (clients); node_config checks them.
std::vector<std::string> node_sections();

/// Reads `file` as CAF INI with no options declared, so every key is kept
/// as written. Called by runtime_config::parse_args before CAF parses the
/// file; fails with bad_argument naming the file (and the line and column
/// of a syntax error) if it cannot be read or parsed.
caf::expected<caf::settings> read_raw_ini(const std::string& file);

/// Compares the raw settings of `file` with the options in `declared`:
/// sections nobody declared, keys of `strict_sections` nobody declared, and
/// values a declared option cannot take (any section). Called by
/// runtime_config::parse_args; returns the problems (empty: all is well).
config_problems check_ini_settings(const caf::settings& raw,
                                   const caf::config_option_set& declared,
                                   const std::vector<std::string>& strict,
                                   const std::string& file);

/// Checks a [cluster] workers list: every entry "name@host:port", names
/// distinct. `source` says where the list came from (a file or the command
/// line). Called by runtime_config::parse_args; returns the problems.
config_problems check_cluster_list(const std::vector<std::string>& cluster,
                                   const std::string& source);

/// Checks the workers a node hosts against a non-empty cluster list: each
/// one listed, all at one host:port (the node binds one address). Called
/// by node_config::node_opts; returns the problems (none for an empty list:
/// an ad-hoc node outside any cluster).
config_problems check_node_workers(const std::vector<std::string>& hosted,
                                   const std::vector<std::string>& cluster,
                                   const std::string& source);

/// Checks `[data] datasets`: every entry parses with `sources`
/// (data_source.hpp, S2)
/// and, if `cluster` is not empty, names a worker it lists. `source` says
/// where the entries came from. Called by node_config::node_opts; returns
/// the problems, each naming the source, the key and the entry.
config_problems check_data_entries(const std::vector<std::string>& entries,
                                   const data_sources& sources,
                                   const std::vector<std::string>& cluster,
                                   const std::string& source);

/// Checks a data plane's ports as `section` ("[node]", "[workers]") sets
/// them: `ports` ("data-ports") must parse as a port range (port_range.hpp,
/// P1), and not be set together with a fixed `port` ("data-port"). Called
/// by runtime_config::parse_args and node_config::node_opts; returns the
/// problems, each naming `source`, the key and the value.
config_problems check_data_ports(const std::string& section, uint16_t port,
                                 const std::string& ports,
                                 const std::string& source);

/// Words CAF's refusal of command-line argument `arg` (an unknown option, a
/// value of the wrong type, a flag given a value) for the person who typed
/// it, naming the option and what it expects. Called by
/// runtime_config::parse_args when CAF's parser fails.
std::string describe_bad_argument(const caf::config_option_set& declared,
                                  const std::string& arg);

/// The entry `key` ("argument", "line", "column") of the context of a CAF
/// parser error, as text; empty if there is none. Called by parse_args and
/// read_raw_ini to word CAF's errors.
std::string parser_error_detail(const caf::error& err, const std::string& key);

/// What a value for an option of CAF type `type_name` must look like, for
/// messages: "a duration with a unit (e.g. 10s, 500ms, 2min)" for timespan.
std::string expected_value(const std::string& type_name);

/// `problems` as one bad_argument error, one problem per line; no error if
/// empty. Called by runtime_config and node_config to return them.
caf::error to_error(const config_problems& problems);

} // namespace workers
