//===- Progress.cpp - a progress bar for long passes ----------------------===//

#include "kdc/Support/Progress.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <unistd.h>

using namespace kdc;

namespace {

bool isTerminal(const std::ostream &os) {
  if (&os == &std::cerr || &os == &std::clog)
    return isatty(STDERR_FILENO);
  if (&os == &std::cout)
    return isatty(STDOUT_FILENO);
  return false;
}

double steadySeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

Progress::Progress(std::string label, size_t total, std::ostream &os)
    : Progress(std::move(label), total, os, Options()) {}

Progress::Progress(std::string label, size_t total)
    : Progress(std::move(label), total, std::cerr, Options()) {}

Progress::Progress(std::string label, size_t total, std::ostream &os,
                   Options options)
    : Label(std::move(label)), Total(total), OS(os), Opts(std::move(options)) {
  IsTerminal = Opts.mode == Mode::Terminal ||
               (Opts.mode == Mode::Auto && isTerminal(OS));
  Done = Opts.alreadyDone;
  Start = LastDraw = now();
}

Progress::~Progress() {
  if (LineOpen)
    OS << '\n' << std::flush;
}

double Progress::now() const {
  return Opts.clock ? Opts.clock() : steadySeconds();
}

void Progress::tick(size_t n) {
  Done += n;
  double t = now();
  double interval = IsTerminal ? Opts.redrawSeconds : Opts.logSeconds;
  if (!Finished && t - LastDraw >= interval)
    draw(t, /*final=*/false);
}

void Progress::finish() {
  if (Finished)
    return;
  draw(now(), /*final=*/true);
  Finished = true;
}

void Progress::draw(double t, bool final) {
  LastDraw = t;
  double elapsed = t - Start;
  double rate = elapsed > 0 ? (Done - Opts.alreadyDone) / elapsed : 0;
  double eta = -1;
  if (!final && Total > 0 && rate > 0)
    eta = Done >= Total ? 0 : (Total - Done) / rate;
  std::string line = formatLine(Label, Done, Total, rate, eta);
  if (final)
    line += " in " + formatDuration(elapsed);
  if (IsTerminal) {
    // Blank out what a longer previous line left behind.
    size_t width = line.size();
    if (width < LastWidth)
      line.append(LastWidth - width, ' ');
    LastWidth = width;
    OS << '\r' << line;
    LineOpen = !final;
    if (final)
      OS << '\n';
  } else {
    OS << line << '\n';
  }
  OS << std::flush;
}

std::string Progress::formatLine(const std::string &label, size_t done,
                                 size_t total, double itemsPerSecond,
                                 double etaSeconds) {
  std::string line = label + ": " + std::to_string(done);
  if (total > 0) {
    char percent[32];
    std::snprintf(percent, sizeof(percent), " (%.1f%%)",
                  100.0 * static_cast<double>(done) / total);
    line += "/" + std::to_string(total) + percent;
  }
  line += " " + formatRate(itemsPerSecond);
  if (total > 0 && etaSeconds >= 0)
    line += " ETA " + formatDuration(etaSeconds);
  return line;
}

std::string Progress::formatDuration(double seconds) {
  // Past a year an ETA means "stalled", and lround would overflow later.
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 3.2e7)
    return "?";
  char text[32];
  long s = std::lround(seconds);
  if (s < 60)
    std::snprintf(text, sizeof(text), "%lds", s);
  else if (s < 3600)
    std::snprintf(text, sizeof(text), "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof(text), "%ldh%02ldm", s / 3600, s / 60 % 60);
  return text;
}

std::string Progress::formatRate(double itemsPerSecond) {
  if (!std::isfinite(itemsPerSecond) || itemsPerSecond <= 0)
    return "--/s";
  char text[32];
  // Thresholds at 999.5 so that rounding to three digits never prints
  // "1e+03k".
  if (itemsPerSecond < 999.5)
    std::snprintf(text, sizeof(text), "%.3g/s", itemsPerSecond);
  else if (itemsPerSecond < 999.5e3)
    std::snprintf(text, sizeof(text), "%.3gk/s", itemsPerSecond / 1e3);
  else if (itemsPerSecond < 999.5e6)
    std::snprintf(text, sizeof(text), "%.3gM/s", itemsPerSecond / 1e6);
  else
    std::snprintf(text, sizeof(text), "%.0fM/s", itemsPerSecond / 1e6);
  return text;
}
