//===- kdc-onnx-gen.cpp - textual ONNX to binary models for tests ---------===//
//
// Turns ONNX's textual syntax (onnx/defs/parser.h, as libonnx 1.12 parses
// it) into binary .onnx files, so the importer's lit tests carry their
// models as readable text next to the CHECK lines. What the 1.12 parser
// lacks is added here:
//
//   #! meta KEY VALUE     a metadata_props entry (the rest of the line)
//   #! rename OLD NEW     renames a value (everywhere) or a node, for names
//                         the text syntax cannot spell ("conv.0.weight",
//                         "/convs.0/Conv", "onnx::MatMul_12")
//   #! merge TEXTPROTO    protobuf text merged into the ModelProto last
//                         (repeated fields append): for what the text
//                         syntax cannot say, e.g. malformed tensors
//   inf, -inf, nan        as tensor values
//   --fill                initializers written as {} get deterministic data
//   --raw-data            initializers use raw_data, as torch.onnx.export
//   --name-nodes          unnamed nodes are named OpType_N, as PyTorch < 1.13
//   --split-input-file    models separated by "# -----" lines go to
//                         OUTPUT.0.onnx, OUTPUT.1.onnx, ...
//
// Lines starting with '#' are comments for the ONNX parser, so lit's RUN and
// CHECK lines can live in the same file.
//
//===----------------------------------------------------------------------===//

#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"

#include <google/protobuf/text_format.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string input, output;
  bool split = false, rawData = false, fill = false, nameNodes = false;
};

const char *const kUsage =
    "usage: kdc-onnx-gen INPUT.txt -o OUTPUT [--split-input-file] "
    "[--raw-data] [--fill] [--name-nodes]\n"
    "Converts textual ONNX (with '#! meta KEY VALUE' lines for "
    "metadata_props) to a binary ONNX model.\n";

// Stand-ins for the special floats the 1.12 parser cannot read; they are
// restored after parsing. No test writes these exact values.
constexpr float kPosInf = 3.0517578e38f;
constexpr float kNegInf = -3.0517578e38f;
constexpr float kNaN = 3.0502930e38f;

bool isIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

/// Replaces the words inf, -inf and nan (outside comments) by stand-ins.
/// Identifiers that merely contain them (neg_inf) are left alone.
std::string replaceSpecialFloats(const std::string &text) {
  std::string out;
  bool comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n')
      comment = false;
    else if (c == '#')
      comment = true;
    if (!comment && std::isalpha(static_cast<unsigned char>(c)) &&
        (i == 0 || !isIdentifierChar(text[i - 1]))) {
      size_t j = i;
      while (j < text.size() && isIdentifierChar(text[j]))
        ++j;
      std::string word = text.substr(i, j - i);
      for (char &w : word)
        w = static_cast<char>(std::tolower(static_cast<unsigned char>(w)));
      if (word == "inf" || word == "infinity" || word == "nan") {
        bool negative = !out.empty() && out.back() == '-';
        if (negative)
          out.pop_back();
        if (word == "nan")
          out += "3.0502930e38";
        else
          out += negative ? "-3.0517578e38" : "3.0517578e38";
      } else {
        out += text.substr(i, j - i);
      }
      i = j - 1;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void restoreSpecialFloats(onnx::TensorProto &t) {
  for (int i = 0; i < t.float_data_size(); ++i) {
    float v = t.float_data(i);
    if (v == kPosInf)
      t.set_float_data(i, std::numeric_limits<float>::infinity());
    else if (v == kNegInf)
      t.set_float_data(i, -std::numeric_limits<float>::infinity());
    else if (v == kNaN)
      t.set_float_data(i, std::numeric_limits<float>::quiet_NaN());
  }
}

int64_t numElements(const onnx::TensorProto &t) {
  int64_t n = 1;
  for (int64_t d : t.dims())
    n *= d;
  return n;
}

bool hasData(const onnx::TensorProto &t) {
  return t.float_data_size() || t.int32_data_size() || t.int64_data_size() ||
         t.double_data_size() || t.uint64_data_size() || t.has_raw_data();
}

/// Small, varied, reproducible values (no randomness: tests must not move);
/// `seed` (the initializer's index) makes tensors differ from each other.
void fillTensor(onnx::TensorProto &t, int seed) {
  int64_t n = numElements(t);
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = ((i + 7 * seed) * 37 + 11) % 101 - 50;
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      t.add_float_data(static_cast<float>(k) / 100.0f);
      break;
    case onnx::TensorProto::DOUBLE:
      t.add_double_data(static_cast<double>(k) / 100.0);
      break;
    case onnx::TensorProto::INT64:
      t.add_int64_data(i);
      break;
    default:
      t.add_int32_data(static_cast<int32_t>(i % 2));
      break;
    }
  }
}

template <typename T> void appendRaw(std::string &raw, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  raw.append(bytes, sizeof(T));
}

/// Moves typed data into raw_data (little-endian), as PyTorch writes it.
void toRawData(onnx::TensorProto &t) {
  std::string raw;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    for (float v : t.float_data())
      appendRaw(raw, v);
    break;
  case onnx::TensorProto::DOUBLE:
    for (double v : t.double_data())
      appendRaw(raw, v);
    break;
  case onnx::TensorProto::INT64:
    for (int64_t v : t.int64_data())
      appendRaw(raw, v);
    break;
  case onnx::TensorProto::INT32:
    for (int32_t v : t.int32_data())
      appendRaw(raw, v);
    break;
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::INT8:
    for (int32_t v : t.int32_data())
      appendRaw(raw, static_cast<uint8_t>(v));
    break;
  default:
    return; // Left as typed data.
  }
  t.clear_float_data();
  t.clear_double_data();
  t.clear_int64_data();
  t.clear_int32_data();
  t.set_raw_data(raw);
}

bool convert(const std::string &text, const std::string &path,
             const Options &options) {
  onnx::ModelProto model;
  std::string prepared = replaceSpecialFloats(text);
  onnx::Status status;
  try {
    status = onnx::OnnxParser::Parse(model, prepared.c_str());
  } catch (const std::exception &e) {
    std::cerr << "kdc-onnx-gen: " << options.input << ": " << e.what() << "\n";
    return false;
  }
  if (!status.IsOK()) {
    std::cerr << "kdc-onnx-gen: " << options.input << ": "
              << status.ErrorMessage() << "\n";
    return false;
  }

  // Directives.
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string prefix = "#! meta ";
    if (line.compare(0, prefix.size(), prefix) != 0)
      continue;
    std::string rest = line.substr(prefix.size());
    size_t space = rest.find(' ');
    onnx::StringStringEntryProto *entry = model.add_metadata_props();
    entry->set_key(rest.substr(0, space));
    entry->set_value(space == std::string::npos ? "" : rest.substr(space + 1));
  }

  onnx::GraphProto *graph = model.mutable_graph();
  int seed = 0;
  for (onnx::TensorProto &t : *graph->mutable_initializer()) {
    restoreSpecialFloats(t);
    if (options.fill && !hasData(t))
      fillTensor(t, seed);
    ++seed;
    if (options.rawData)
      toRawData(t);
  }
  int index = 0;
  for (onnx::NodeProto &node : *graph->mutable_node()) {
    for (onnx::AttributeProto &a : *node.mutable_attribute())
      if (a.has_t())
        restoreSpecialFloats(*a.mutable_t());
    if (options.nameNodes && node.name().empty())
      node.set_name(node.op_type() + "_" + std::to_string(index));
    ++index;
  }

  // Renames, after --name-nodes so generated node names can be renamed.
  lines.clear();
  lines.seekg(0);
  while (std::getline(lines, line)) {
    const std::string prefix = "#! rename ";
    if (line.compare(0, prefix.size(), prefix) != 0)
      continue;
    std::istringstream words(line.substr(prefix.size()));
    std::string from, to;
    if (!(words >> from >> to)) {
      std::cerr << "kdc-onnx-gen: " << options.input
                << ": expected '#! rename OLD NEW': " << line << "\n";
      return false;
    }
    auto rename = [&](std::string *name) {
      if (*name == from)
        *name = to;
    };
    for (onnx::TensorProto &t : *graph->mutable_initializer())
      rename(t.mutable_name());
    for (auto *list : {graph->mutable_input(), graph->mutable_output(),
                       graph->mutable_value_info()})
      for (onnx::ValueInfoProto &v : *list)
        rename(v.mutable_name());
    for (onnx::NodeProto &node : *graph->mutable_node()) {
      rename(node.mutable_name());
      for (std::string &in : *node.mutable_input())
        rename(&in);
      for (std::string &out : *node.mutable_output())
        rename(&out);
    }
  }

  // Merged last, so --fill and --raw-data leave what they add alone.
  lines.clear();
  lines.seekg(0);
  while (std::getline(lines, line)) {
    const std::string merge = "#! merge ";
    if (line.compare(0, merge.size(), merge) != 0)
      continue;
    if (!google::protobuf::TextFormat::MergeFromString(
            line.substr(merge.size()), &model)) {
      std::cerr << "kdc-onnx-gen: " << options.input
                << ": cannot merge: " << line << "\n";
      return false;
    }
  }

  std::ofstream out(path, std::ios::binary);
  if (!out || !model.SerializeToOstream(&out)) {
    std::cerr << "kdc-onnx-gen: cannot write " << path << "\n";
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-o" && i + 1 < argc)
      options.output = argv[++i];
    else if (arg == "--split-input-file")
      options.split = true;
    else if (arg == "--raw-data")
      options.rawData = true;
    else if (arg == "--fill")
      options.fill = true;
    else if (arg == "--name-nodes")
      options.nameNodes = true;
    else if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && options.input.empty())
      options.input = arg;
    else {
      std::cerr << "kdc-onnx-gen: unexpected argument '" << arg << "'\n"
                << kUsage;
      return 1;
    }
  }
  if (options.input.empty() || options.output.empty()) {
    std::cerr << kUsage;
    return 1;
  }
  std::ifstream in(options.input);
  if (!in) {
    std::cerr << "kdc-onnx-gen: cannot read " << options.input << "\n";
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();

  if (!options.split)
    return convert(text, options.output, options) ? 0 : 1;

  std::vector<std::string> chunks(1);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# -----", 0) == 0) {
      chunks.push_back(std::string());
      continue;
    }
    chunks.back() += line + "\n";
  }
  for (size_t i = 0; i < chunks.size(); ++i)
    if (!convert(chunks[i], options.output + "." + std::to_string(i) + ".onnx",
                 options))
      return 1;
  return 0;
}
