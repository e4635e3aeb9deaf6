#pragma once

// A throw-away certificate authority for the tests: a CA and one
// certificate per principal (CN=name), made with the openssl command on
// first use and removed when the test process exits. Networked tests run
// over TLS with these, as a real cluster does by default.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "workers/actors/gate.hpp"

namespace workers::test {

class test_pki {
 public:
  /// The process-wide PKI.
  static test_pki& get() {
    static test_pki instance;
    return instance;
  }

  /// The files of `principal`'s certificate (made on first use).
  tls_files files_for(const std::string& principal) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto base = (dir_ / principal).string();
    if (made_.count(principal) == 0) {
      run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
          " -nodes -keyout '" +
          base + ".key' -out '" + base + ".csr' -subj '/CN=" + principal +
          "'"
          " && openssl x509 -req -in '" +
          base +
          ".csr' -CA ca.pem"
          " -CAkey ca.key -CAcreateserial -days 2 -out '" +
          base + ".pem'");
      made_.insert({principal, true});
    }
    return tls_files{base + ".pem", base + ".key", ca(), ""};
  }

  /// Command-line options that give a node process `principal`'s identity.
  std::vector<std::string> args_for(const std::string& principal) {
    auto f = files_for(principal);
    return {"--openssl.certificate=" + f.certificate, "--openssl.key=" + f.key,
            "--openssl.cafile=" + f.cafile};
  }

  /// A certificate for `principal` from another CA: valid in form, but not
  /// one the cluster trusts.
  tls_files foreign_files_for(const std::string& principal) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto base = (dir_ / ("foreign-" + principal)).string();
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
        " -nodes -days 2 -keyout '" +
        base + ".key' -out '" + base + ".pem' -subj '/CN=" + principal + "'");
    return tls_files{base + ".pem", base + ".key", ca(), ""};
  }

  std::string ca() const { return (dir_ / "ca.pem").string(); }

  ~test_pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  test_pki() {
    char tmpl[] = "/tmp/workers-pki-XXXXXX";
    if (mkdtemp(tmpl) == nullptr)
      throw std::runtime_error("cannot make a directory for test certificates");
    dir_ = tmpl;
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
        " -nodes -days 2 -keyout ca.key -out ca.pem"
        " -subj /CN=workers-test-ca");
  }

  void run(const std::string& cmd) {
    auto full = "cd '" + dir_.string() + "' && (" + cmd + ") > /dev/null 2>&1";
    if (std::system(full.c_str()) != 0)
      throw std::runtime_error("openssl could not make test certificates: " +
                               cmd);
  }

  std::mutex mtx_;
  std::filesystem::path dir_;
  std::map<std::string, bool> made_;
};

} // namespace workers::test
