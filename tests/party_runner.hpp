#pragma once

// Runs tests/party.cpp -- another party of a TLS cluster, with its own
// certificate of the test CA -- against the nodes of a test and collects
// what each of its steps got (tests/access_test.cpp, fl_access_test.cpp).

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fixture.hpp"

#ifndef WORKERS_PARTY_BINARY
#error "WORKERS_PARTY_BINARY must name the tests/party executable"
#endif

namespace workers::test {

/// Runs `steps` as `principal` (declaring itself `declared`, or its own
/// name) connected to every node of `nodes`; returns each step's outcome
/// by step ("ok ...", or the error). Fails the test if the party cannot
/// run to its end within 60 s (scaled).
inline std::map<std::string, std::string>
run_party(const node_map& nodes, const std::string& principal,
          const std::vector<std::string>& steps,
          const std::string& declared = {}) {
  auto f = test_pki::get().files_for(principal);
  std::string cmd = WORKERS_PARTY_BINARY;
  for (auto& arg : {f.certificate, f.key, f.cafile,
                    declared.empty() ? principal : declared})
    cmd += " '" + arg + "'";
  for (auto& [name, node] : nodes)
    cmd += " " + name + "@127.0.0.1:" + std::to_string(node->port());
  cmd += " --";
  for (auto& s : steps)
    cmd += " '" + s + "'";
  auto [status, text] = run_and_capture(cmd, scaled(60s));
  INFO(text);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::map<std::string, std::string> result;
  std::istringstream lines{text};
  std::string line;
  while (std::getline(lines, line))
    if (auto pos = line.find(" => "); pos != std::string::npos)
      result[line.substr(0, pos)] = line.substr(pos + 4);
  return result;
}

} // namespace workers::test
