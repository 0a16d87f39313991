//===- Recurrence.cpp - the pQRNN's Scan and attention pooling ------------===//
//
// kdc's pQRNN (docs/onnx.md) writes each QRNN direction as a Scan over the
// gate sequence [3H, T] (and a 0/1 mask of the real tokens) whose body is
// one fo-pooling step:
//
//   (c [H], g [3H], m []) -> (c' = m * (f * c + (1 - f) * z), h = o * c')
//   z = tanh(g[0:H]), f = sigmoid(g[H:2H]), o = sigmoid(g[2H:3H])
//
// A Scan becomes `student.qrnn` when its structure (one zero initial state,
// the gates scanned along their time axis, the mask along the same axis
// and direction, the outputs stacked in scan order) and its body say so.
// The body is not matched node by node, which would reject a correct step
// written with its products in another order or with Split for Slice:
// it must use only arithmetic, tanh, sigmoid and slicing (no comparison,
// selection or control flow, so it is one smooth formula), and it is then
// evaluated with the importer's own constant folding on a few random
// states, gates and masks and must give the step above to float precision.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <random>

using namespace kdc::import;
using namespace mlir;
namespace student = kdc::student;
using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

namespace {

/// What a QRNN step's body may use.
bool isStepOp(StringRef op) {
  static const llvm::StringSet<> ops = {
      "Add",       "Sub",     "Mul",     "Div",     "Neg",
      "Tanh",      "Sigmoid", "Slice",   "Gather",  "Squeeze",
      "Unsqueeze", "Reshape", "Flatten", "Identity", "Constant",
      "Concat"};
  return ops.contains(op);
}

const OpHandlerEntry *findHandler(StringRef opType, int64_t opset) {
  const OpHandlerEntry *best = nullptr;
  for (const OpHandlerEntry &e : getOpHandlers())
    if (e.domain == kOnnxDomain && e.opType == opType &&
        e.sinceVersion <= opset && (!best || e.sinceVersion > best->sinceVersion))
      best = &e;
  return best;
}

SmallVector<int64_t> dropAxis(ArrayRef<int64_t> shape, int64_t axis) {
  SmallVector<int64_t> out(shape.begin(), shape.end());
  out.erase(out.begin() + axis);
  return out;
}

/// Evaluates the Scan body on constants and compares it with the QRNN step.
class StepChecker {
public:
  StepChecker(NodeBinder &scan, const onnx::GraphProto &body, int64_t state,
              ArrayRef<int64_t> stateShape, ArrayRef<int64_t> gateShape,
              std::optional<SmallVector<int64_t>> maskShape)
      : scan(scan), body(body), h(state), stateShape(stateShape),
        gateShape(gateShape), maskShape(std::move(maskShape)) {}

  LogicalResult check() {
    int inputs = maskShape ? 3 : 2;
    if (body.input_size() != inputs || body.output_size() != 2)
      return scan.emitError()
             << "its body has " << body.input_size() << " inputs and "
             << body.output_size() << " outputs; kdc's QRNN step takes "
             << inputs << " (the state c, the gates g"
             << (maskShape ? ", the mask m" : "")
             << ") and returns 2 (the next state, the hidden state)";
    for (const onnx::NodeProto &node : body.node()) {
      bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
      if (!defaultDomain || !isStepOp(node.op_type()))
        return scan.emitError()
               << "its body's " << describeNode(node, scan.opset)
               << " is not part of kdc's QRNN step, which uses only Add, "
                  "Sub, Mul, Div, Neg, Tanh, Sigmoid and slicing "
                  "(Slice, Gather, Squeeze, Unsqueeze, Reshape, Flatten, "
                  "Identity, Constant, Concat)";
    }
    std::mt19937 rng(20240607);
    // Forward-looking gates of both signs and sizes, a mask of 1 and of 0.
    const double masks[] = {1.0, 0.0, 1.0};
    const double scales[] = {2.0, 2.0, 6.0};
    for (int probe = 0; probe < 3; ++probe) {
      if (!maskShape && masks[probe] == 0.0)
        continue;
      if (failed(runProbe(rng, scales[probe], masks[probe])))
        return failure();
    }
    return success();
  }

private:
  ConstTensor random(std::mt19937 &rng, ArrayRef<int64_t> shape,
                     double scale) {
    ConstTensor c = ConstTensor::zeros(TensorProto::FLOAT, shape);
    std::uniform_real_distribution<double> dist(-scale, scale);
    for (double &v : c.fp)
      v = static_cast<float>(dist(rng));
    return c;
  }

  LogicalResult runProbe(std::mt19937 &rng, double scale, double maskValue) {
    ConstTensor c = random(rng, stateShape, 1.0);
    ConstTensor g = random(rng, gateShape, scale);
    MLIRContext &context = scan.state.context;
    // Handlers of runtime values would build ops; with constants only they
    // fold, but any op goes into a module that is thrown away.
    OwningOpRef<ModuleOp> scratch =
        ModuleOp::create(UnknownLoc::get(&context));
    ImportState probe(context, scan.state.options);
    probe.builder.setInsertionPointToEnd(scratch->getBody());
    probe.lengthArg = scan.state.lengthArg;

    for (const onnx::TensorProto &t : body.initializer()) {
      ConstTensor value;
      std::string message;
      if (!decodeTensor(t, value, message))
        return scan.emitError() << "its body's initializer '" << t.name()
                                << "' " << message;
      probe.values[t.name()] = OnnxValue::makeConstant(std::move(value),
                                                       t.name());
    }
    probe.values[body.input(0).name()] = OnnxValue::makeConstant(c);
    probe.values[body.input(1).name()] = OnnxValue::makeConstant(g);
    if (maskShape) {
      ConstTensor m = ConstTensor::zeros(TensorProto::FLOAT, *maskShape);
      for (double &v : m.fp)
        v = maskValue;
      probe.values[body.input(2).name()] = OnnxValue::makeConstant(m);
    }
    for (const onnx::NodeProto &node : body.node())
      for (const std::string &in : node.input())
        if (!in.empty())
          ++probe.useCounts[in];
    for (const onnx::ValueInfoProto &out : body.output())
      ++probe.useCounts[out.name()];

    for (const onnx::NodeProto &node : body.node()) {
      for (const std::string &in : node.input()) {
        if (in.empty() || probe.values.count(in))
          continue;
        // A name of the graph around the Scan: only its constants.
        auto outer = scan.state.values.find(in);
        if (outer == scan.state.values.end())
          return scan.emitError()
                 << "its body's " << describeNode(node, scan.opset)
                 << " reads '" << in
                 << "', which is not a body input, initializer or "
                    "constant, nor produced before it";
        if (!outer->second.isConstant())
          return scan.emitError()
                 << "its body's " << describeNode(node, scan.opset)
                 << " reads '" << in << "', a " << kindName(outer->second.kind)
                 << " of the graph around the Scan; kdc's QRNN step depends "
                    "only on its state, gates and mask (and constants)";
        probe.values[in] = outer->second;
      }
      const OpHandlerEntry *handler = findHandler(node.op_type(), scan.opset);
      if (!handler)
        return scan.emitError() << "its body's "
                                << describeNode(node, scan.opset)
                                << " has no importer in this opset";
      NodeBinder binder(probe, node, scan.opset);
      if (failed(handler->handler(binder)))
        return scan.emitError() << "its body is not kdc's QRNN step (see "
                                   "the error above)";
    }

    SmallVector<const ConstTensor *, 2> outs;
    for (const onnx::ValueInfoProto &out : body.output()) {
      auto it = probe.values.find(out.name());
      if (it == probe.values.end() || !it->second.isConstant())
        return scan.emitError()
               << "its body's output '" << out.name()
               << "' is not computed from the step's inputs";
      const ConstTensor &value = it->second.getConst();
      if (!value.isFloat() || value.size() != h ||
          value.shape.size() != 1)
        return scan.emitError()
               << "its body's output '" << out.name() << "' is "
               << dtypeName(value.dtype) << shapeString(value.shape)
               << "; kdc's QRNN step returns float[" << h
               << "] (the next state, then the hidden state)";
      outs.push_back(&value);
    }
    for (int64_t j = 0; j < h; ++j) {
      double z = std::tanh(g.fp[j]);
      double f = 1.0 / (1.0 + std::exp(-g.fp[h + j]));
      double o = 1.0 / (1.0 + std::exp(-g.fp[2 * h + j]));
      double next = maskValue * (f * c.fp[j] + (1.0 - f) * z);
      double want[2] = {next, o * next};
      for (int k = 0; k < 2; ++k) {
        double got = outs[k]->fp[j];
        if (std::abs(got - want[k]) > 1e-5 * (1.0 + std::abs(want[k])))
          return scan.emitError()
                 << "its body does not compute kdc's QRNN step (c' = m * (f "
                    "* c + (1 - f) * z), h = o * c' with z = tanh(g[0:H]), f "
                    "= sigmoid(g[H:2H]), o = sigmoid(g[2H:3H]); "
                    "docs/onnx.md): for a test input with m = "
                 << (maskValue != 0.0 ? 1 : 0) << ", output '" << body.output(k).name()
                 << "' is " << got << " at element " << j << ", expected "
                 << want[k];
      }
    }
    return success();
  }

  NodeBinder &scan;
  const onnx::GraphProto &body;
  int64_t h;
  SmallVector<int64_t> stateShape, gateShape;
  std::optional<SmallVector<int64_t>> maskShape;
};

/// An ints attribute with `n` entries, or `n` zeros if absent.
FailureOr<SmallVector<int64_t>> intsOrZeros(NodeBinder &b, StringRef name,
                                            size_t n) {
  FailureOr<std::optional<SmallVector<int64_t>>> v = b.intsAttr(name);
  if (failed(v))
    return failure();
  if (!*v)
    return SmallVector<int64_t>(n, 0);
  if ((*v)->size() != n) {
    b.emitError() << "attribute '" << name << "' has " << (*v)->size()
                  << " entries; this Scan needs " << n;
    return failure();
  }
  return **v;
}

} // namespace

LogicalResult kdc::import::importScan(NodeBinder &b) {
  const onnx::AttributeProto *bodyAttr = b.attr("body");
  if (!bodyAttr || bodyAttr->type() != onnx::AttributeProto::GRAPH)
    return b.emitError() << "needs a graph attribute 'body'";
  if (!b.attr("num_scan_inputs"))
    return b.emitError() << "needs attribute 'num_scan_inputs'";
  FailureOr<int64_t> numScan = b.intAttr("num_scan_inputs", 0);
  if (failed(numScan))
    return failure();
  int64_t numStates = b.getNumInputs() - *numScan;
  if (numStates != 1 || (*numScan != 1 && *numScan != 2) ||
      b.getNumOutputs() != 2)
    return b.emitError()
           << "has " << numStates << " state(s), " << *numScan
           << " scan input(s) and " << b.getNumOutputs()
           << " output(s); kdc imports a Scan as one QRNN direction "
              "(student.qrnn): one state (the cell c, from zeros), the gates "
              "and optionally a 0/1 mask of the real tokens, and two "
              "outputs (the final state, unused, and the hidden states)";
  if (b.isOutputUsed(0))
    return b.emitError() << "its final state '" << b.node.output(0)
                         << "' is read; kdc's qrnn yields only the hidden "
                            "states";

  // The initial state: zeros of [H].
  FailureOr<const ConstTensor *> init = b.requireConstInput(0, "initial state");
  if (failed(init))
    return failure();
  const ConstTensor &c0 = **init;
  if (!c0.isFloat() || c0.shape.size() != 1 ||
      llvm::any_of(c0.fp, [](double v) { return v != 0.0; }))
    return b.emitError() << "initial state '" << b.inputName(0)
                         << "' is " << dtypeName(c0.dtype)
                         << shapeString(c0.shape)
                         << "; kdc's QRNN starts from a float vector of zeros";
  int64_t h = c0.shape[0];

  FailureOr<SmallVector<int64_t>> inAxes =
      intsOrZeros(b, "scan_input_axes", *numScan);
  FailureOr<SmallVector<int64_t>> inDirs =
      intsOrZeros(b, "scan_input_directions", *numScan);
  FailureOr<SmallVector<int64_t>> outAxes =
      intsOrZeros(b, "scan_output_axes", 1);
  FailureOr<SmallVector<int64_t>> outDirs =
      intsOrZeros(b, "scan_output_directions", 1);
  if (failed(inAxes) || failed(inDirs) || failed(outAxes) || failed(outDirs))
    return failure();

  // The gates: a [T, 3H] sequence scanned along its time axis.
  FailureOr<const OnnxValue *> gatesIn = b.requireTensorInput(1, "gates");
  if (failed(gatesIn))
    return failure();
  const OnnxValue &gates = **gatesIn;
  if (gates.dtype != TensorProto::FLOAT || gates.dims.size() != 2)
    return b.emitError() << "gates '" << b.inputName(1) << "' ("
                         << dtypeName(gates.dtype) << shapeString(gates.shape)
                         << ") must be a float sequence, [T, 3H] in the "
                            "student function";
  FailureOr<int64_t> gateAxis =
      b.normalizeAxis((*inAxes)[0], gates.shape.size(), "scan axis");
  if (failed(gateAxis))
    return failure();
  if (*gateAxis != gates.dims[0])
    return b.emitError() << "scans axis " << *gateAxis << " of the gates "
                         << shapeString(gates.shape) << ", which is not "
                         << "their time axis (" << gates.dims[0] << ")";
  int64_t time = gates.shape[gates.dims[0]];
  int64_t width = gates.shape[gates.dims[1]];
  if (width != 3 * h)
    return b.emitError() << "the gates have " << width
                         << " features per step, but a QRNN step with a "
                            "state of "
                         << h << " (initial state '" << b.inputName(0)
                         << "') needs 3 x " << h << " = " << 3 * h
                         << " (Z | F | O)";
  int64_t direction = (*inDirs)[0];
  if (direction != 0 && direction != 1)
    return b.emitError() << "scan_input_directions must be 0 or 1";

  // The mask: 0/1 per step, from the token count.
  Value count;
  std::optional<SmallVector<int64_t>> maskShape;
  if (*numScan == 2) {
    FailureOr<const OnnxValue *> maskIn = b.requireInput(2, "mask");
    if (failed(maskIn))
      return failure();
    const OnnxValue &mask = **maskIn;
    if (mask.kind != ValueKind::Mask || mask.maskInverted ||
        mask.dtype != TensorProto::FLOAT)
      return b.emitError()
             << "scan input '" << b.inputName(2)
             << "' must be the float mask of the real tokens, "
                "Cast(Less(positions, length), to = FLOAT); it is a "
             << dtypeName(mask.dtype) << " " << kindName(mask.kind)
             << (mask.maskInverted ? " (positions at or past the count)" : "");
    FailureOr<int64_t> maskAxis =
        b.normalizeAxis((*inAxes)[1], mask.shape.size(), "scan axis");
    if (failed(maskAxis))
      return failure();
    if (*maskAxis != mask.maskAxis || mask.shape[*maskAxis] != time ||
        numElements(mask.shape) != time)
      return b.emitError() << "the mask " << shapeString(mask.shape)
                           << " must hold one value per step along its scan "
                              "axis, "
                           << time << " steps";
    if ((*inDirs)[1] != direction)
      return b.emitError() << "scans the gates and the mask in different "
                              "directions";
    FailureOr<Value> c = countOperand(b, mask.count, time);
    if (failed(c))
      return failure();
    count = *c;
    maskShape = dropAxis(mask.shape, *maskAxis);
  }
  if ((*outDirs)[0] != direction)
    return b.emitError() << "scan_output_directions = [" << (*outDirs)[0]
                         << "] differs from the gates' direction ["
                         << direction
                         << "], so step t's state would not land in row t";
  int64_t outAxis = (*outAxes)[0];
  if (outAxis < -2 || outAxis > 1)
    return b.emitError() << "scan_output_axes = [" << outAxis
                         << "] is out of range for [T, H] outputs";
  if (outAxis < 0)
    outAxis += 2;

  StepChecker checker(b, bodyAttr->g(), h, c0.shape,
                      dropAxis(gates.shape, *gateAxis), maskShape);
  if (failed(checker.check()))
    return failure();

  auto type = RankedTensorType::get({time, h}, b.builder().getF32Type());
  Value result = b.builder().create<student::QrnnOp>(
      b.loc(), type, gates.value, count,
      direction ? student::Direction::Backward : student::Direction::Forward);
  SmallVector<int64_t> shape = {time, h}, dims = {0, 1};
  if (outAxis == 1)
    shape = {h, time}, dims = {1, 0};
  b.setOutput(1, OnnxValue::makeTensor(result, TensorProto::FLOAT, shape, dims));
  return success();
}

/// AttentionPool(X, q, [mask]) from Patterns.cpp: X is [..., T, D], q a
/// [D, 1] constant, the softmax runs over T and the mask keeps t < count.
LogicalResult kdc::import::importAttentionPool(NodeBinder &b) {
  FailureOr<const OnnxValue *> in = b.requireTensorInput(0, "sequence");
  if (failed(in))
    return failure();
  const OnnxValue &x = **in;
  int64_t rank = x.shape.size();
  if (x.dtype != TensorProto::FLOAT || x.dims.size() != 2 || rank < 2 ||
      x.dims[0] != rank - 2 || x.dims[1] != rank - 1)
    return b.emitError() << "attention pooling needs a float sequence whose "
                            "last two ONNX axes are time and features; '"
                         << b.inputName(0) << "' is "
                         << dtypeName(x.dtype) << shapeString(x.shape);
  int64_t time = x.shape[rank - 2], d = x.shape[rank - 1];
  FailureOr<const ConstTensor *> qc = b.requireConstInput(1, "query");
  if (failed(qc))
    return failure();
  const ConstTensor &q = **qc;
  if (q.dtype != TensorProto::FLOAT || q.shape.size() != 2 ||
      q.shape[0] != d || q.shape[1] != 1)
    return b.emitError() << "the query '" << b.inputName(1) << "' is "
                         << dtypeName(q.dtype) << shapeString(q.shape)
                         << "; attention pooling over " << d
                         << " features needs float[" << d << ", 1]";
  FailureOr<int64_t> axisAttr = b.intAttr("axis", -1);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = b.normalizeAxis(*axisAttr, rank, "softmax axis");
  if (failed(axis))
    return failure();
  if (*axis != rank - 2)
    return b.emitError() << "the softmax runs over axis " << *axis
                         << " of the scores; attention pooling needs it over "
                            "time (axis "
                         << rank - 2 << ")";
  Value count;
  if (b.hasInput(2)) {
    const OnnxValue &mask = b.input(2);
    FailureOr<int64_t> scoresFirst = b.intAttr("scores_first", 1);
    if (failed(scoresFirst))
      return failure();
    // Where(keep, scores, -inf) or Where(drop, -inf, scores).
    bool keepsReal = mask.maskInverted != (*scoresFirst != 0);
    int64_t maskAxis = mask.maskAxis + rank - int64_t(mask.shape.size());
    if (mask.kind != ValueKind::Mask || !keepsReal || maskAxis != rank - 2)
      return b.emitError() << "the scores must be masked with "
                              "Where(positions < length, scores, -inf) along "
                              "the time axis; the condition '"
                           << b.inputName(2) << "' is a "
                           << kindName(mask.kind);
    FailureOr<Value> c = countOperand(b, mask.count, time);
    if (failed(c))
      return failure();
    count = *c;
  }
  ConstTensor vector = q;
  vector.shape = {d};
  Value query = b.state.materializeWeight(vector, b.weightName(1), b.loc(),
                                          /*cache=*/false);
  auto type = RankedTensorType::get({d}, b.builder().getF32Type());
  Value pooled = b.builder().create<student::AttentionPoolOp>(
      b.loc(), type, x.value, query, count);
  SmallVector<int64_t> shape(x.shape.begin(), x.shape.end());
  shape[rank - 2] = 1;
  b.setOutput(0, OnnxValue::makeTensor(pooled, TensorProto::FLOAT, shape,
                                       {rank - 1}));
  return success();
}
