// A corpus replay driver for the harnesses when they are built without
// libFuzzer (gcc, ctest fuzz_corpus_<harness>): calls LLVMFuzzerTestOneInput
// once per file named on the command line, or per file in a named
// directory. Exits 0 once every input returned; a crash fails the test.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Runs the harness on the file at `path`.
void replay(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>{in},
                             std::istreambuf_iterator<char>{}};
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

} // namespace

int main(int argc, char** argv) {
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg{argv[i]};
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg)) {
      for (auto& entry : std::filesystem::directory_iterator{arg})
        if (entry.is_regular_file())
          files.push_back(entry.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(arg);
    }
    for (auto& f : files) {
      replay(f);
      ++count;
    }
  }
  std::cout << "replayed " << count << " inputs\n";
  return count > 0 ? 0 : 1;
}
