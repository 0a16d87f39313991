//===- GraphBuilder.h - appending nodes and initializers to ONNX graphs ---===//
//
// Internal to lib/Export. Only libonnx's protobuf classes: the graph
// builders that include this header compile without LibTorch.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_LIB_EXPORT_GRAPHBUILDER_H
#define KDC_LIB_EXPORT_GRAPHBUILDER_H

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace kdc::exporter {

inline void declareTensor(onnx::ValueInfoProto *value, const std::string &name,
                          int32_t elemType, const std::vector<int64_t> &dims) {
  value->set_name(name);
  onnx::TypeProto_Tensor *type = value->mutable_type()->mutable_tensor_type();
  type->set_elem_type(elemType);
  onnx::TensorShapeProto *shape = type->mutable_shape();
  for (int64_t d : dims)
    shape->add_dim()->set_dim_value(d);
}

inline void setInts(onnx::NodeProto &node, const std::string &name,
                    const std::vector<int64_t> &values) {
  onnx::AttributeProto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    a->add_ints(v);
}

inline void setInt(onnx::NodeProto &node, const std::string &name,
                   int64_t value) {
  onnx::AttributeProto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

/// Appends nodes and initializers to a graph, with the value names of
/// docs/onnx.md so a reader can match the file against the document.
class GraphBuilder {
public:
  explicit GraphBuilder(onnx::GraphProto &graph) : graph(graph) {}

  /// Each node is named after its first output: unique, and what Netron
  /// shows.
  onnx::NodeProto &node(const std::string &op,
                        std::initializer_list<std::string> inputs,
                        const std::string &output) {
    onnx::NodeProto *n = graph.add_node();
    n->set_op_type(op);
    n->set_name(output);
    for (const std::string &in : inputs)
      n->add_input(in);
    n->add_output(output);
    return *n;
  }

  /// A float initializer of the given shape (row-major data).
  void weight(const std::string &name, const std::vector<int64_t> &dims,
              const float *data) {
    onnx::TensorProto *p = addInitializer(name, onnx::TensorProto::FLOAT);
    int64_t n = 1;
    for (int64_t d : dims) {
      p->add_dims(d);
      n *= d;
    }
    p->set_raw_data(data, size_t(n) * sizeof(float));
  }

  void int64s(const std::string &name, const std::vector<int64_t> &values,
              std::vector<int64_t> dims = {}) {
    onnx::TensorProto *p = addInitializer(name, onnx::TensorProto::INT64);
    if (dims.empty())
      dims = {int64_t(values.size())};
    for (int64_t d : dims)
      p->add_dims(d);
    p->set_raw_data(values.data(), values.size() * sizeof(int64_t));
  }

  void scalar(const std::string &name, float value) {
    onnx::TensorProto *p = addInitializer(name, onnx::TensorProto::FLOAT);
    p->set_raw_data(&value, sizeof value);
  }

  onnx::GraphProto &proto() { return graph; }

private:
  onnx::TensorProto *addInitializer(const std::string &name, int32_t type) {
    onnx::TensorProto *p = graph.add_initializer();
    p->set_name(name);
    p->set_data_type(type);
    return p;
  }

  onnx::GraphProto &graph;
};

/// A float tensor copied out of the network, in row-major order.
struct WeightData {
  std::vector<int64_t> dims;
  std::vector<float> data;
};

/// What the pQRNN graph needs: shapes and weights in PyTorch's layouts.
struct PqrnnGraphSpec {
  int64_t maxTokens = 0, features = 0, bottleneck = 0, state = 0,
          numClasses = 0;
  WeightData bottleneckWeight, bottleneckBias; // [B, P], [B]
  /// Per layer: Conv1d weights [3H, Cin, 3] and biases [3H].
  std::vector<WeightData> forwardWeight, forwardBias, backwardWeight,
      backwardBias;
  WeightData query;                      // [2H]
  WeightData outputWeight, outputBias;   // [C, 2H], [C]
};

/// Builds docs/onnx.md's pQRNN graph (inputs `features`, `length`; output
/// `logits`) into `graph`.
void buildPqrnnGraph(onnx::GraphProto &graph, const PqrnnGraphSpec &spec);

} // namespace kdc::exporter

#endif // KDC_LIB_EXPORT_GRAPHBUILDER_H
