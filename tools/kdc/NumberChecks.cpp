//===- NumberChecks.cpp - CLI11 checks with readable messages -------------===//

#include "NumberChecks.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

using namespace kdc::driver;

static std::string show(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

static std::string expectation(const detail::NumberBounds &b) {
  if (!b.integral && b.high == detail::highest<double>())
    return b.lowOpen ? "a number greater than " + show(b.low)
                     : "a number of " + show(b.low) + " or more";
  double low = b.lowOpen ? b.low + 1 : b.low; // open only for whole numbers
  if (b.integral && b.high > 0x1p53) // int64: nobody means its maximum
    return "a whole number of " + show(low) + " or more";
  return std::string(b.integral ? "a whole number" : "a number") + " from " +
         show(low) + " to " + show(b.high);
}

// Digits with an optional sign: what CLI11 converts to an integer ("1e3" and
// "2.0" it does not).
static bool isWholeNumber(const std::string &input) {
  size_t start = !input.empty() && (input[0] == '-' || input[0] == '+');
  return input.size() > start &&
         input.find_first_not_of("0123456789", start) == std::string::npos;
}

CLI::Validator detail::numberCheck(NumberBounds b) {
  auto check = [b](std::string &input) -> std::string {
    const char *begin = input.c_str();
    char *end = nullptr;
    errno = 0;
    double value = std::strtod(begin, &end);
    bool number = !input.empty() && end == begin + input.size() &&
                  errno != ERANGE && std::isfinite(value);
    bool ok = number && (b.lowOpen ? value > b.low : value >= b.low) &&
              value <= b.high && (!b.integral || isWholeNumber(input));
    if (ok)
      return {};
    return "expected " + expectation(b) + ", got '" + input + "'";
  };
  std::string description = b.integral ? "INT" : "NUMBER";
  return CLI::Validator(check, description);
}
