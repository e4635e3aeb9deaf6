#pragma once

// Reading IDX files: the format of MNIST and Fashion-MNIST.
//
// An IDX file is a 4-byte magic number (two zero bytes, a type code, the rank)
// followed by one big-endian uint32 per dimension and the elements in
// row-major order. Only type code 0x08 (unsigned bytes) is read, the only one
// these data sets use. Files may be gzip-compressed, as Debian's
// `dataset-fashion-mnist` ships them (`train-images-idx3-ubyte.gz`, ...): a
// file starting with the gzip magic is decompressed in memory with zlib
// (CRC-32 and length checked, at most 2 GiB of output).
//
// Every failure is an errc::bad_argument error naming the function, the file
// and what was wrong: missing or unreadable, corrupt gzip data, bad magic,
// truncated or too long for its dimensions, unexpected rank.
//
// Example:
//   auto dir = workers::dataset_dir();
//   auto x = workers::load_images(dir + "/" + fashion_mnist::train_images);
//   auto y = workers::load_labels(dir + "/" + fashion_mnist::train_labels);
//   // x: float32 [60000, 784] in [0, 1]; y: int64 [60000] in 0..9

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "workers/tensor.hpp"

namespace workers {

/// File names of Fashion-MNIST inside dataset_dir() (gzip-compressed IDX).
namespace fashion_mnist {

constexpr const char* train_images = "train-images-idx3-ubyte.gz";

constexpr const char* train_labels = "train-labels-idx1-ubyte.gz";

constexpr const char* test_images = "t10k-images-idx3-ubyte.gz";

constexpr const char* test_labels = "t10k-labels-idx1-ubyte.gz";

} // namespace fashion_mnist

/// Reads the IDX file at `path` (raw or gzip-compressed) of unsigned bytes
/// and rank 1 to 4. Returns an int64 tensor with the file's dimensions
/// holding the byte values 0..255, or a bad_argument error naming the file.
/// Called by tools that want the raw data; load_images and load_labels give
/// model-ready tensors.
caf::expected<tensor> read_idx(const std::string& path);

/// read_idx of a file already in memory: `content` holds the bytes of an
/// IDX file (raw or gzip-compressed), `name` names it in errors. Called by
/// programs that received the file by other means and by the IDX fuzz
/// harness (tests/fuzz); fails like read_idx.
caf::expected<tensor> parse_idx(std::vector<uint8_t> content,
                                const std::string& name);

/// Reads an IDX file of images, dimensions [N, rows, cols]. Returns a float32
/// tensor [N, rows * cols] with every byte scaled to [0, 1] (divided by 255),
/// or a bad_argument error naming the file (also if the rank is not 3).
/// Called by the Fashion-MNIST demo to load its inputs.
caf::expected<tensor> load_images(const std::string& path);

/// Reads an IDX file of labels, dimensions [N]. Returns an int64 tensor [N]
/// (Fashion-MNIST: classes 0..9), or a bad_argument error naming the file
/// (also if the rank is not 1). Called by the Fashion-MNIST demo.
caf::expected<tensor> load_labels(const std::string& path);

/// Returns the directory holding the Fashion-MNIST files: the environment
/// variable WORKERS_FASHION_MNIST if set and not empty, otherwise
/// "/usr/share/datasets/fashion-mnist" (where Debian's package puts them).
/// Never fails; whether the files exist is checked when loading them.
std::string dataset_dir();

} // namespace workers
