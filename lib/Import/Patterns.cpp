//===- Patterns.cpp - multi-node ONNX patterns fused before import --------===//
//
// Below opset 20 ONNX has no Gelu, so torch.onnx.export writes GELU as
// arithmetic:
//
//   exact: Mul(Mul(x, Add(Erf(Div(x, sqrt(2))), 1)), 0.5)
//   tanh:  Mul(0.5, Mul(x, Add(1, Tanh(Mul(sqrt(2/pi),
//              Add(x, Mul(0.044715, Mul(x, Mul(x, x)))))))))
//
// (HuggingFace's variants order the products differently or use Pow(x, 3).)
// The student dialect has no Erf, Pow or runtime Mul, so these subgraphs are
// recognised on the ONNX graph and replaced by one fused node of the
// importer's own domain, which the handler table maps to `student.gelu`.
// Every intermediate value must have exactly one reader, so nothing else
// depends on the nodes that disappear.
//
// kdc's pQRNN (docs/onnx.md) pools over time with a learned query:
//
//   A = Softmax(Where(mask, MatMul(X, q), -inf), axis = time)
//   P = MatMul(Transpose(A, last two axes swapped), X)
//
// (the Where is absent without a length). The dialect has no MatMul of two
// runtime tensors, so this becomes one fused node, AttentionPool(X, q,
// [mask]), which the handler table maps to `student.attention_pool` after
// checking the axes and the mask.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace kdc::import;
using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

namespace {

bool near(double value, double target) {
  return std::abs(value - target) <= 1e-4 * std::abs(target) + 1e-7;
}

/// Who produces and reads each value of the live graph, and the scalar
/// constants, for the matchers.
class PatternGraph {
public:
  PatternGraph(ArrayRef<const onnx::NodeProto *> nodes,
               const llvm::StringMap<const onnx::TensorProto *> &initializers,
               const llvm::StringMap<unsigned> &useCounts,
               ArrayRef<std::string> graphOutputs)
      : initializers(initializers), useCounts(useCounts) {
    for (const onnx::NodeProto *n : nodes) {
      for (const std::string &out : n->output())
        producers[out] = n;
      for (const std::string &in : n->input())
        consumers[in].push_back(n);
    }
    for (const std::string &out : graphOutputs)
      outputs.insert(out);
  }

protected:
  const onnx::NodeProto *producer(StringRef name) const {
    return producers.lookup(name);
  }
  bool isOp(const onnx::NodeProto *n, StringRef op) const {
    return n && n->op_type() == op &&
           (n->domain().empty() || n->domain() == "ai.onnx");
  }
  /// Read once, by a node, and not a graph output.
  bool singleUse(StringRef name) const {
    return useCounts.lookup(name) == 1 && !outputs.contains(name);
  }
  const onnx::NodeProto *soleConsumer(StringRef name) const {
    if (!singleUse(name))
      return nullptr;
    auto it = consumers.find(name);
    return it == consumers.end() || it->second.size() != 1 ? nullptr
                                                           : it->second[0];
  }
  std::optional<double> scalar(StringRef name) const;

  const llvm::StringMap<const onnx::TensorProto *> &initializers;
  const llvm::StringMap<unsigned> &useCounts;
  llvm::StringMap<const onnx::NodeProto *> producers;
  llvm::StringMap<SmallVector<const onnx::NodeProto *, 2>> consumers;
  llvm::StringSet<> outputs;
};

class GeluMatcher : public PatternGraph {
public:
  using PatternGraph::PatternGraph;

  struct Match {
    const onnx::NodeProto *root = nullptr;
    std::string input;
    bool approximate = false;
    llvm::DenseSet<const onnx::NodeProto *> consumed;
  };

  std::optional<Match> matchErf(const onnx::NodeProto *erf);
  std::optional<Match> matchTanh(const onnx::NodeProto *tanh);

private:
  /// The other input of a binary node, given one of them.
  static std::optional<std::string> otherInput(const onnx::NodeProto *n,
                                               StringRef known) {
    if (n->input_size() != 2)
      return std::nullopt;
    if (n->input(0) == known)
      return n->input(1);
    if (n->input(1) == known)
      return n->input(0);
    return std::nullopt;
  }
  /// Leaves of a product tree of single-use Mul (and Pow(., 3)) nodes.
  void productLeaves(StringRef name, SmallVector<std::string> &leaves,
                     llvm::DenseSet<const onnx::NodeProto *> &consumed) const;
  /// From `cur` (the 1 + erf/tanh term), climbs through at most two Mul
  /// nodes until the product also holds `x` and 0.5; the last is the root.
  bool climbToRoot(StringRef cur, StringRef x, Match &match) const;
};

std::optional<double> PatternGraph::scalar(StringRef name) const {
  ConstTensor c;
  std::string error;
  if (const onnx::TensorProto *t = initializers.lookup(name)) {
    // Only scalars matter; do not decode an embedding table to learn that.
    if (llvm::any_of(t->dims(), [](int64_t d) { return d != 1; }) ||
        !decodeTensor(*t, c, error) || c.size() != 1)
      return std::nullopt;
    return c.asDouble(0);
  }
  const onnx::NodeProto *n = producer(name);
  if (!isOp(n, "Constant") || n->attribute_size() != 1)
    return std::nullopt;
  const onnx::AttributeProto &a = n->attribute(0);
  if (a.name() == "value_float")
    return a.f();
  if (a.name() == "value_int")
    return a.i();
  if (a.name() != "value" ||
      llvm::any_of(a.t().dims(), [](int64_t d) { return d != 1; }) ||
      !decodeTensor(a.t(), c, error) || c.size() != 1)
    return std::nullopt;
  return c.asDouble(0);
}

void GeluMatcher::productLeaves(
    StringRef name, SmallVector<std::string> &leaves,
    llvm::DenseSet<const onnx::NodeProto *> &consumed) const {
  const onnx::NodeProto *n = producer(name);
  if (singleUse(name) && isOp(n, "Mul") && n->input_size() == 2) {
    consumed.insert(n);
    productLeaves(n->input(0), leaves, consumed);
    productLeaves(n->input(1), leaves, consumed);
    return;
  }
  if (singleUse(name) && isOp(n, "Pow") && n->input_size() == 2) {
    std::optional<double> e = scalar(n->input(1));
    if (e && *e == 3.0) {
      consumed.insert(n);
      leaves.append(3, n->input(0));
      return;
    }
  }
  leaves.push_back(name.str());
}

bool GeluMatcher::climbToRoot(StringRef cur, StringRef x, Match &match) const {
  int xs = 0, halves = 0;
  std::string value = cur.str();
  for (int step = 0; step < 2; ++step) {
    const onnx::NodeProto *mul = soleConsumer(value);
    if (!isOp(mul, "Mul"))
      return false;
    std::optional<std::string> other = otherInput(mul, value);
    if (!other)
      return false;
    SmallVector<std::string> leaves;
    llvm::DenseSet<const onnx::NodeProto *> inner;
    if (*other == x)
      leaves.push_back(*other);
    else
      productLeaves(*other, leaves, inner);
    for (const std::string &leaf : leaves) {
      std::optional<double> s = scalar(leaf);
      if (leaf == x)
        ++xs;
      else if (s && near(*s, 0.5))
        ++halves;
      else
        return false;
    }
    match.consumed.insert(inner.begin(), inner.end());
    match.consumed.insert(mul);
    value = mul->output(0);
    if (xs == 1 && halves == 1) {
      match.root = mul;
      match.input = x.str();
      return true;
    }
  }
  return false;
}

std::optional<GeluMatcher::Match>
GeluMatcher::matchErf(const onnx::NodeProto *erf) {
  Match m;
  const onnx::NodeProto *scale = producer(erf->input(0));
  if (!singleUse(erf->input(0)) || !scale || scale->input_size() != 2)
    return std::nullopt;
  std::string x;
  if (isOp(scale, "Div")) {
    std::optional<double> c = scalar(scale->input(1));
    if (!c || !near(*c, std::sqrt(2.0)))
      return std::nullopt;
    x = scale->input(0);
  } else if (isOp(scale, "Mul")) {
    for (int i = 0; i < 2 && x.empty(); ++i) {
      std::optional<double> c = scalar(scale->input(i));
      if (c && near(*c, 1.0 / std::sqrt(2.0)))
        x = scale->input(1 - i);
    }
    if (x.empty())
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  const onnx::NodeProto *add = soleConsumer(erf->output(0));
  if (!isOp(add, "Add"))
    return std::nullopt;
  std::optional<std::string> one = otherInput(add, erf->output(0));
  std::optional<double> c = one ? scalar(*one) : std::nullopt;
  if (!c || !near(*c, 1.0))
    return std::nullopt;
  m.consumed.insert(scale);
  m.consumed.insert(erf);
  m.consumed.insert(add);
  if (!climbToRoot(add->output(0), x, m))
    return std::nullopt;
  return m;
}

std::optional<GeluMatcher::Match>
GeluMatcher::matchTanh(const onnx::NodeProto *tanh) {
  Match m;
  // tanh(sqrt(2/pi) * (x + 0.044715 * x^3))
  SmallVector<std::string> outer;
  const onnx::NodeProto *scale = producer(tanh->input(0));
  if (!singleUse(tanh->input(0)) || !isOp(scale, "Mul"))
    return std::nullopt;
  productLeaves(tanh->input(0), outer, m.consumed);
  if (outer.size() != 2)
    return std::nullopt;
  std::string sum;
  for (int i = 0; i < 2 && sum.empty(); ++i) {
    std::optional<double> c = scalar(outer[i]);
    if (c && near(*c, std::sqrt(2.0 / 3.14159265358979323846)))
      sum = outer[1 - i];
  }
  const onnx::NodeProto *add = producer(sum);
  if (sum.empty() || !singleUse(sum) || !isOp(add, "Add") ||
      add->input_size() != 2)
    return std::nullopt;
  std::string x;
  for (int i = 0; i < 2 && x.empty(); ++i) {
    SmallVector<std::string> cube;
    llvm::DenseSet<const onnx::NodeProto *> inner;
    StringRef candidate = add->input(i);
    productLeaves(add->input(1 - i), cube, inner);
    if (cube.size() != 4 || llvm::count(cube, candidate) != 3)
      continue;
    bool kappa = llvm::any_of(cube, [&](const std::string &leaf) {
      std::optional<double> c = scalar(leaf);
      return leaf != candidate && c && near(*c, 0.044715);
    });
    if (!kappa)
      continue;
    x = candidate.str();
    m.consumed.insert(inner.begin(), inner.end());
  }
  if (x.empty())
    return std::nullopt;
  m.consumed.insert(add);
  m.consumed.insert(tanh);
  const onnx::NodeProto *plusOne = soleConsumer(tanh->output(0));
  if (!isOp(plusOne, "Add"))
    return std::nullopt;
  std::optional<std::string> one = otherInput(plusOne, tanh->output(0));
  std::optional<double> c = one ? scalar(*one) : std::nullopt;
  if (!c || !near(*c, 1.0))
    return std::nullopt;
  m.consumed.insert(plusOne);
  if (!climbToRoot(plusOne->output(0), x, m))
    return std::nullopt;
  m.approximate = true;
  return m;
}

/// The pQRNN's attention pooling, matched from its Softmax.
class AttentionMatcher : public PatternGraph {
public:
  using PatternGraph::PatternGraph;

  struct Match {
    const onnx::NodeProto *root = nullptr;
    std::string sequence, query, mask;
    int64_t axis = -1;
    bool scoresFirst = true; // Where(mask, scores, -inf), not (mask, -inf, s)
    llvm::DenseSet<const onnx::NodeProto *> consumed;
  };

  std::optional<Match> match(const onnx::NodeProto *softmax) const {
    Match m;
    m.consumed.insert(softmax);
    for (const onnx::AttributeProto &a : softmax->attribute())
      if (a.name() == "axis")
        m.axis = a.i();
    // The scores, possibly masked.
    std::string scores = softmax->input(0);
    const onnx::NodeProto *where = producer(scores);
    if (isOp(where, "Where") && singleUse(scores) && where->input_size() == 3) {
      std::optional<double> second = scalar(where->input(2));
      std::optional<double> first = scalar(where->input(1));
      if (second && *second <= -1.0e30)
        scores = where->input(1);
      else if (first && *first <= -1.0e30)
        scores = where->input(2), m.scoresFirst = false;
      else
        return std::nullopt;
      m.mask = where->input(0);
      m.consumed.insert(where);
    }
    const onnx::NodeProto *dot = producer(scores);
    if (!isOp(dot, "MatMul") || !singleUse(scores) || dot->input_size() != 2 ||
        !(initializers.lookup(dot->input(1)) ||
          isOp(producer(dot->input(1)), "Constant")))
      return std::nullopt;
    m.sequence = dot->input(0);
    m.query = dot->input(1);
    m.consumed.insert(dot);
    // The weighted sum: MatMul(Transpose(A), X).
    const onnx::NodeProto *transpose = soleConsumer(softmax->output(0));
    if (!isOp(transpose, "Transpose") || !swapsLastAxes(*transpose))
      return std::nullopt;
    const onnx::NodeProto *sum = soleConsumer(transpose->output(0));
    if (!isOp(sum, "MatMul") || sum->input_size() != 2 ||
        sum->input(0) != transpose->output(0) || sum->input(1) != m.sequence)
      return std::nullopt;
    m.consumed.insert(transpose);
    m.consumed.insert(sum);
    m.root = sum;
    return m;
  }

private:
  static bool swapsLastAxes(const onnx::NodeProto &transpose) {
    for (const onnx::AttributeProto &a : transpose.attribute()) {
      if (a.name() != "perm")
        continue;
      int r = a.ints_size();
      if (r < 2)
        return false;
      for (int i = 0; i < r - 2; ++i)
        if (a.ints(i) != i)
          return false;
      return a.ints(r - 2) == r - 1 && a.ints(r - 1) == r - 2;
    }
    return false; // the default reverses all axes: rank 2 only, unknown here
  }
};

} // namespace

void kdc::import::fuseOnnxPatterns(
    std::vector<const onnx::NodeProto *> &nodes,
    const llvm::StringMap<const onnx::TensorProto *> &initializers,
    llvm::StringMap<unsigned> &useCounts, ArrayRef<std::string> graphOutputs,
    std::vector<std::unique_ptr<onnx::NodeProto>> &fused) {
  llvm::DenseSet<const onnx::NodeProto *> removed;
  llvm::DenseMap<const onnx::NodeProto *, const onnx::NodeProto *> replaced;
  {
    GeluMatcher matcher(nodes, initializers, useCounts, graphOutputs);
    for (const onnx::NodeProto *n : nodes) {
      bool isDefault = n->domain().empty() || n->domain() == "ai.onnx";
      if (!isDefault || removed.contains(n) || n->input_size() != 1)
        continue;
      std::optional<GeluMatcher::Match> m;
      if (n->op_type() == "Erf")
        m = matcher.matchErf(n);
      else if (n->op_type() == "Tanh")
        m = matcher.matchTanh(n);
      if (!m || llvm::any_of(m->consumed, [&](const onnx::NodeProto *c) {
            return removed.contains(c);
          }))
        continue;
      auto node = std::make_unique<onnx::NodeProto>();
      node->set_op_type("Gelu");
      node->set_domain(kPatternDomain.str());
      node->set_name(m->root->name());
      node->add_input(m->input);
      node->add_output(m->root->output(0));
      onnx::AttributeProto *a = node->add_attribute();
      a->set_name("approximate");
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s(m->approximate ? "tanh" : "none");
      removed.insert(m->consumed.begin(), m->consumed.end());
      replaced[m->root] = node.get();
      fused.push_back(std::move(node));
    }
  }
  {
    AttentionMatcher matcher(nodes, initializers, useCounts, graphOutputs);
    for (const onnx::NodeProto *n : nodes) {
      bool isDefault = n->domain().empty() || n->domain() == "ai.onnx";
      if (!isDefault || n->op_type() != "Softmax" || removed.contains(n) ||
          n->input_size() != 1)
        continue;
      std::optional<AttentionMatcher::Match> m = matcher.match(n);
      if (!m || llvm::any_of(m->consumed, [&](const onnx::NodeProto *c) {
            return removed.contains(c);
          }))
        continue;
      auto node = std::make_unique<onnx::NodeProto>();
      node->set_op_type("AttentionPool");
      node->set_domain(kPatternDomain.str());
      node->set_name(m->root->name());
      node->add_input(m->sequence);
      node->add_input(m->query);
      if (!m->mask.empty())
        node->add_input(m->mask);
      node->add_output(m->root->output(0));
      onnx::AttributeProto *axis = node->add_attribute();
      axis->set_name("axis");
      axis->set_type(onnx::AttributeProto::INT);
      axis->set_i(m->axis);
      onnx::AttributeProto *first = node->add_attribute();
      first->set_name("scores_first");
      first->set_type(onnx::AttributeProto::INT);
      first->set_i(m->scoresFirst ? 1 : 0);
      removed.insert(m->consumed.begin(), m->consumed.end());
      replaced[m->root] = node.get();
      fused.push_back(std::move(node));
    }
  }
  if (replaced.empty())
    return;
  std::vector<const onnx::NodeProto *> result;
  for (const onnx::NodeProto *n : nodes) {
    if (const onnx::NodeProto *f = replaced.lookup(n))
      result.push_back(f);
    else if (!removed.contains(n))
      result.push_back(n);
  }
  nodes = std::move(result);
  // Recount readers over the rewritten graph.
  useCounts.clear();
  for (const onnx::NodeProto *n : nodes)
    for (const std::string &in : n->input())
      if (!in.empty())
        ++useCounts[in];
  for (const std::string &out : graphOutputs)
    ++useCounts[out];
}
