//===- NumberChecks.h - CLI11 checks with readable messages -----*- C++ -*-===//
//
// CLI11's PositiveNumber and Range print their bounds as doubles
// ("Value 0 not in range 0.000000 to 1797693...") and call a word that is no
// number "not in range". These say what was expected, in the option's own
// type: `--epochs: expected a whole number from 1 to 2147483647, got '1.5'`.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_TOOLS_KDC_NUMBERCHECKS_H
#define KDC_TOOLS_KDC_NUMBERCHECKS_H

#include <CLI/CLI.hpp>

#include <limits>
#include <type_traits>

namespace kdc::driver {
namespace detail {
struct NumberBounds {
  double low, high;
  bool lowOpen;  // low itself is not allowed (> low rather than >= low)
  bool integral; // the option holds an integer
};
CLI::Validator numberCheck(NumberBounds bounds);
template <class T> constexpr bool isInt = std::is_integral_v<T>;
template <class T> constexpr double highest() {
  return static_cast<double>((std::numeric_limits<T>::max)());
}
} // namespace detail

/// Greater than 0. The argument is the option's variable, for its type.
template <class T> CLI::Validator positive(const T &) {
  return detail::numberCheck({0, detail::highest<T>(), true, detail::isInt<T>});
}
/// 0 or more.
template <class T> CLI::Validator nonNegative(const T &) {
  return detail::numberCheck({0, detail::highest<T>(), false, detail::isInt<T>});
}
/// From low to high, both included.
template <class T> CLI::Validator between(const T &, double low, double high) {
  return detail::numberCheck({low, high, false, detail::isInt<T>});
}
} // namespace kdc::driver

#endif // KDC_TOOLS_KDC_NUMBERCHECKS_H
