//===- PqrnnGraph.cpp - the pQRNN student as an ONNX graph ----------------===//
//
// docs/onnx.md, "The pQRNN student". Standard opset-13 ops only, so ONNX
// Runtime runs the file: each QRNN direction is a Scan whose body is one
// fo-pooling step, masked by the token count (the same body for both
// directions; the backward Scan reads and writes in reverse).
//
// No LibTorch here: OnnxExport.cpp copies the weights out of the network.
//
//===----------------------------------------------------------------------===//

#include "GraphBuilder.h"

#include <limits>

using namespace kdc::exporter;

namespace {

/// One fo-pooling step with state size h, the Scan body:
///   (c [H], g [3H], m []) -> (c' = m * (f * c + (1 - f) * z), o * c')
/// with z = tanh(g[0:H]), f = sigmoid(g[H:2H]), o = sigmoid(g[2H:3H]).
/// Names carry the "step." prefix: a subgraph may not reuse the names of
/// the graph around it.
onnx::GraphProto qrnnStep(int64_t h) {
  onnx::GraphProto body;
  body.set_name("qrnn_step");
  declareTensor(body.add_input(), "step.c", onnx::TensorProto::FLOAT, {h});
  declareTensor(body.add_input(), "step.g", onnx::TensorProto::FLOAT,
                {3 * h});
  declareTensor(body.add_input(), "step.m", onnx::TensorProto::FLOAT, {});
  declareTensor(body.add_output(), "step.c_next", onnx::TensorProto::FLOAT,
                {h});
  declareTensor(body.add_output(), "step.h", onnx::TensorProto::FLOAT, {h});
  GraphBuilder b(body);
  b.int64s("step.z_begin", {0});
  b.int64s("step.f_begin", {h});
  b.int64s("step.o_begin", {2 * h});
  b.int64s("step.o_end", {3 * h});
  b.scalar("step.one", 1.0f);
  b.node("Slice", {"step.g", "step.z_begin", "step.f_begin"}, "step.Z");
  b.node("Slice", {"step.g", "step.f_begin", "step.o_begin"}, "step.F");
  b.node("Slice", {"step.g", "step.o_begin", "step.o_end"}, "step.O");
  b.node("Tanh", {"step.Z"}, "step.z");
  b.node("Sigmoid", {"step.F"}, "step.f");
  b.node("Sigmoid", {"step.O"}, "step.o");
  b.node("Mul", {"step.f", "step.c"}, "step.fc");
  b.node("Sub", {"step.one", "step.f"}, "step.1mf");
  b.node("Mul", {"step.1mf", "step.z"}, "step.iz");
  b.node("Add", {"step.fc", "step.iz"}, "step.sum");
  b.node("Mul", {"step.m", "step.sum"}, "step.c_next");
  b.node("Mul", {"step.o", "step.c_next"}, "step.h");
  return body;
}

void addGraphAttr(onnx::NodeProto &node, const std::string &name,
                  const onnx::GraphProto &graph) {
  onnx::AttributeProto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = graph;
}

} // namespace

void kdc::exporter::buildPqrnnGraph(onnx::GraphProto &graph,
                                    const PqrnnGraphSpec &spec) {
  const int64_t t = spec.maxTokens, p = spec.features, h = spec.state;
  graph.set_name("kdc_pqrnn_student");
  declareTensor(graph.add_input(), "features", onnx::TensorProto::FLOAT,
                {1, t, p});
  declareTensor(graph.add_input(), "length", onnx::TensorProto::INT64, {1});
  declareTensor(graph.add_output(), "logits", onnx::TensorProto::FLOAT,
                {1, spec.numClasses});

  GraphBuilder b(graph);
  auto weight = [&](const std::string &name, const WeightData &w) {
    b.weight(name, w.dims, w.data.data());
  };
  std::vector<int64_t> positions(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i)
    positions[size_t(i)] = i;
  b.int64s("axis0", {0});
  b.int64s("rows", positions, {t, 1});
  b.int64s("steps", positions);
  b.scalar("zero", 0.0f);
  b.scalar("neg_inf", -std::numeric_limits<float>::infinity());
  std::vector<float> zeros(size_t(h), 0.0f);
  b.weight("c0", {h}, zeros.data());

  // The bottleneck over the time-major [T, P] features, its rows at and
  // past the length zeroed.
  b.node("Squeeze", {"features", "axis0"}, "X0");
  weight("bottleneck.weight", spec.bottleneckWeight);
  weight("bottleneck.bias", spec.bottleneckBias);
  setInt(b.node("Gemm", {"X0", "bottleneck.weight", "bottleneck.bias"}, "Bd"),
         "transB", 1);
  b.node("Relu", {"Bd"}, "Br");
  b.node("Less", {"rows", "length"}, "Mrow");
  b.node("Where", {"Mrow", "Br", "zero"}, "Bm");
  b.node("Less", {"steps", "length"}, "Mstep");
  setInt(b.node("Cast", {"Mstep"}, "mask"), "to", onnx::TensorProto::FLOAT);

  const onnx::GraphProto body = qrnnStep(h);
  std::string seq = "Bm"; // [T, C] of the layer's input
  for (size_t l = 0; l < spec.forwardWeight.size(); ++l) {
    std::string s = "_" + std::to_string(l + 1);
    // [T, C] -> [1, C, T], Conv's layout.
    setInts(b.node("Transpose", {seq}, "Xt" + s), "perm", {1, 0});
    b.node("Unsqueeze", {"Xt" + s, "axis0"}, "X" + s);
    for (bool backward : {false, true}) {
      std::string d = (backward ? "b" : "f") + s;
      std::string prefix =
          "qrnn" + s + (backward ? ".backward" : ".forward");
      weight(prefix + ".weight",
             backward ? spec.backwardWeight[l] : spec.forwardWeight[l]);
      weight(prefix + ".bias",
             backward ? spec.backwardBias[l] : spec.forwardBias[l]);
      onnx::NodeProto &conv = b.node(
          "Conv", {"X" + s, prefix + ".weight", prefix + ".bias"}, "G" + d);
      setInts(conv, "dilations", {1});
      setInt(conv, "group", 1);
      setInts(conv, "kernel_shape", {3});
      // Causal for the forward direction (t reads t-2..t), the mirror
      // image for the backward one (t reads t..t+2).
      setInts(conv, "pads", backward ? std::vector<int64_t>{0, 2}
                                     : std::vector<int64_t>{2, 0});
      setInts(conv, "strides", {1});
      b.node("Squeeze", {"G" + d, "axis0"}, "S" + d); // [3H, T]
      onnx::NodeProto &scan = b.node("Scan", {"c0", "S" + d, "mask"}, "c" + d);
      scan.add_output("H" + d); // [T, H]
      addGraphAttr(scan, "body", body);
      setInt(scan, "num_scan_inputs", 2);
      setInts(scan, "scan_input_axes", {1, 0});
      if (backward) {
        setInts(scan, "scan_input_directions", {1, 1});
        setInts(scan, "scan_output_directions", {1});
      }
    }
    onnx::NodeProto &cat = b.node("Concat", {"Hf" + s, "Hb" + s}, "Y" + s);
    setInt(cat, "axis", 1);
    seq = "Y" + s;
  }

  // Attention pooling over the rows before the length.
  weight("attention.query", spec.query);
  b.node("MatMul", {seq, "attention.query"}, "Sc");          // [T, 1]
  b.node("Where", {"Mrow", "Sc", "neg_inf"}, "Sm");
  setInt(b.node("Softmax", {"Sm"}, "A"), "axis", 0);
  setInts(b.node("Transpose", {"A"}, "At"), "perm", {1, 0}); // [1, T]
  b.node("MatMul", {"At", seq}, "P");                         // [1, 2H]
  weight("output.weight", spec.outputWeight);
  weight("output.bias", spec.outputBias);
  setInt(b.node("Gemm", {"P", "output.weight", "output.bias"}, "logits"),
         "transB", 1);
}
