#pragma once

// temp_dir: a fresh directory under /tmp for one test, removed with its
// files when the test ends (tests/config_test.cpp, tests/audit_file_test.cpp).

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace workers::test {

struct temp_dir {
  std::string path;

  /// Makes /tmp/workers-<tag>-XXXXXX. Throws if it cannot.
  explicit temp_dir(const std::string& tag = "test") {
    auto tmpl = "/tmp/workers-" + tag + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    auto cmd = "rm -rf '" + path + "'";
    static_cast<void>(std::system(cmd.c_str()));
  }

  /// The path of `name` in this directory.
  std::string file(const std::string& name) const { return path + "/" + name; }

  /// Writes `text` to the file `name` in this directory; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream{file(name)} << text;
    return file(name);
  }
};

} // namespace workers::test
