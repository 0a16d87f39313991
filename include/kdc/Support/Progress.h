//===- Progress.h - a progress bar for long passes --------------*- C++ -*-===//
//
// `kdc label` and `kdc distill` run for hours over a million utterances; the
// user wants to know how far along they are and when they will be done.
//
//   label: 12000/1000000 (1.2%) 3.46k/s ETA 4m45s
//
// On a terminal the line is redrawn in place ('\r') at most every 0.1 s; in a
// log (CI, `2> file`) a new line is written every 10 s, so logs stay short.
// Not thread-safe: tick from one thread.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_SUPPORT_PROGRESS_H
#define KDC_SUPPORT_PROGRESS_H

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>

namespace kdc {

class Progress {
public:
  enum class Mode {
    Auto,     ///< Terminal if the stream is std::cerr/std::cout on a tty.
    Terminal, ///< Redraw one line in place.
    Log,      ///< Append a line now and then.
  };

  struct Options {
    Mode mode = Mode::Auto;
    double redrawSeconds = 0.1;
    double logSeconds = 10.0;
    /// Items already done before this run (a resumed store): counted in the
    /// done/total and the percentage, not in the throughput.
    size_t alreadyDone = 0;
    /// Seconds from any fixed origin; a monotonic clock when empty. Tests
    /// inject their own.
    std::function<double()> clock;
  };

  /// `total` 0 means unknown: no percentage and no ETA then.
  Progress(std::string label, size_t total, std::ostream &os);
  Progress(std::string label, size_t total);
  Progress(std::string label, size_t total, std::ostream &os, Options options);
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;
  /// Ends a line left open on a terminal, so that what follows (say, an
  /// error) starts on its own line. Prints no summary: that is finish()'s.
  ~Progress();

  void tick(size_t n = 1);
  /// Prints the summary line (count, throughput, elapsed time). Idempotent.
  void finish();

  size_t done() const { return Done; }
  bool terminal() const { return IsTerminal; }

  /// The status line for the given state, without '\r' or newline.
  static std::string formatLine(const std::string &label, size_t done,
                                size_t total, double itemsPerSecond,
                                double etaSeconds);
  /// "12s", "4m05s", "3h02m".
  static std::string formatDuration(double seconds);
  /// "950/s", "3.46k/s", "1.20M/s".
  static std::string formatRate(double itemsPerSecond);

private:
  double now() const;
  void draw(double t, bool final);

  std::string Label;
  size_t Total;
  std::ostream &OS;
  Options Opts;
  bool IsTerminal = false;
  bool Finished = false;
  bool LineOpen = false;
  size_t Done = 0;
  double Start = 0;
  double LastDraw = 0;
  size_t LastWidth = 0;
};

} // namespace kdc

#endif // KDC_SUPPORT_PROGRESS_H
