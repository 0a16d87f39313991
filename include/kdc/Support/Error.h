//===- Error.h - errors a user can cause ------------------------*- C++ -*-===//
//
// kdc::Error is thrown by the non-MLIR libraries (data, tokenizer, training,
// export) for every failure a user can cause: a missing or malformed file, a
// bad flag value, a shape mismatch. Its message names the file, the place
// (line, record, field) and what was expected, and is printed by the driver
// as "kdc: error: <message>". MLIR-based code reports through diagnostics
// instead, since it is built without exceptions.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_SUPPORT_ERROR_H
#define KDC_SUPPORT_ERROR_H

#include <stdexcept>
#include <string>

namespace kdc {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string &message) : std::runtime_error(message) {}
};

/// "file:line: message", the form every located error uses.
inline Error errorAt(const std::string &file, size_t line,
                     const std::string &message) {
  return Error(file + ":" + std::to_string(line) + ": " + message);
}

} // namespace kdc

#endif // KDC_SUPPORT_ERROR_H
