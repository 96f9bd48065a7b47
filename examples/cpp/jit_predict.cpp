// Loads a model traced and saved from Python (ember.jit.save) and prints its predictions for
// inputs stored as a float32 .npy file -- no Python involved.
//
//     jit_predict MODEL.ejit INPUTS.npy
//
// Prints the output shape, then one line per row: the predicted class (argmax) and the scores.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "ember/ember.h"
#include "ember/jit/executor.h"
#include "ember/jit/serialize.h"

namespace {

// Minimal reader for version 1/2 .npy files holding little-endian float32 in C order.
ember::Tensor read_npy_f32(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) {
    throw std::runtime_error(path + " is not a .npy file");
  }
  const int major = static_cast<unsigned char>(data[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8);
    offset = 10;
  } else {
    header_len = 0;
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(data[8 + i]);
    offset = 12;
  }
  const std::string header = data.substr(offset, header_len);
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos) {
    throw std::runtime_error(path + ": expected a C-ordered float32 array, header " + header);
  }
  const size_t lp = header.find('(', header.find("'shape'"));
  const size_t rp = header.find(')', lp);
  ember::Shape shape;
  std::string dims = header.substr(lp + 1, rp - lp - 1);
  size_t pos = 0;
  while (pos < dims.size()) {
    size_t comma = dims.find(',', pos);
    std::string tok = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (tok.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(tok));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  ember::Tensor t = ember::empty(shape, ember::DType::Float32);
  const size_t nbytes = static_cast<size_t>(t.numel()) * sizeof(float);
  if (data.size() < offset + header_len + nbytes) throw std::runtime_error(path + " is truncated");
  std::memcpy(t.raw_data(), data.data() + offset + header_len, nbytes);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " MODEL.ejit INPUTS.npy\n";
    return 2;
  }
  try {
    auto graph = ember::jit::load_graph(argv[1]);
    ember::jit::Executor model(graph);
    ember::Tensor x = read_npy_f32(argv[2]);
    ember::TensorList out = model.run({x});
    ember::Tensor y = out.at(0).contiguous().to(ember::DType::Float32);
    std::cout << "model " << argv[1] << ": input " << model.signature() << ", " << graph->num_nodes()
              << " nodes\n";
    const int64_t rows = y.dim() == 2 ? y.size(0) : 1;
    const int64_t cols = y.numel() / (rows ? rows : 1);
    const float* p = y.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r) {
      int64_t best = 0;
      for (int64_t c = 1; c < cols; ++c) {
        if (p[r * cols + c] > p[r * cols + best]) best = c;
      }
      std::cout << "row " << r << ": prediction " << best << " scores";
      char buf[32];
      for (int64_t c = 0; c < cols; ++c) {
        std::snprintf(buf, sizeof buf, " %.9g", p[r * cols + c]);
        std::cout << buf;
      }
      std::cout << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
