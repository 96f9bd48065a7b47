#pragma once

// One-file format of a saved graph:
//   bytes 0-7    magic "EMBERJIT"
//   bytes 8-11   format version, uint32 little-endian (this build writes and reads 1)
//   bytes 12-19  N: length of the graph JSON, uint64 little-endian
//   bytes 20-27  FNV-1a 64 checksum of everything after byte 27, uint64 little-endian (standard
//                offset basis 14695981039346656037; files from before 2026-12-02 used
//                1469598103934665603, which load_graph also accepts)
//   N bytes      graph JSON (inputs, params, constants, nodes with attributes, outputs, meta)
//   rest         the params and constants in the safetensors layout: uint64 little-endian header
//                length, JSON header {"name": {"dtype", "shape", "data_offsets"}}, raw data
// Files are written to a temporary name and renamed into place. A corrupt file (bad magic,
// checksum, truncation, malformed JSON) or one written by a newer format version raises
// ember::Error with a message saying which.

#include <memory>
#include <string>

#include "ember/core/export.h"
#include "ember/jit/ir.h"

namespace ember::jit {

constexpr uint32_t kFormatVersion = 1;

/// Writes `g` (with its params' current values) and the caller's `meta` string to `path`,
/// atomically: a temporary file in the same folder renamed over `path`, so a failed save leaves
/// an existing file unchanged. A symbolic link is written through; an existing file keeps its
/// permissions.
EMBER_API void save_graph(const Graph& g, const std::string& path, const std::string& meta = {});
/// Reads a graph written by save_graph; params are fresh tensors holding the saved values.
/// `meta` (optional) receives the saved meta string.
EMBER_API std::shared_ptr<Graph> load_graph(const std::string& path, std::string* meta = nullptr);

}  // namespace ember::jit
