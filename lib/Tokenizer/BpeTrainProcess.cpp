//===- BpeTrainProcess.cpp - BPE training in a child process --------------===//

#include "kdc/Support/Error.h"
#include "kdc/Tokenizer/BpeTrainer.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace fs = std::filesystem;
using namespace kdc;

namespace {
std::string findTool() {
  if (const char *env = std::getenv("KDC_BPE_TRAIN"); env && *env)
    return env;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path beside = self.parent_path() / "kdc-bpe-train";
    if (fs::exists(beside))
      return beside.string();
  }
  return "kdc-bpe-train"; // posix_spawnp searches PATH
}
} // namespace

std::string kdc::tokenizer::trainBpeModelInChildProcess(
    const std::vector<std::string> &utterances, const std::string &folder,
    const std::string &name, const BpeTrainOptions &options) {
  fs::create_directories(folder);
  fs::path input = fs::path(folder) / (name + ".train.txt");
  {
    std::ofstream out(input, std::ios::binary);
    for (std::string u : utterances) {
      // One sentence per line is sentencepiece's input format.
      for (char &ch : u)
        if (ch == '\n' || ch == '\r')
          ch = ' ';
      out << u << '\n';
    }
    if (!out)
      throw Error("cannot write '" + input.string() + "'");
  }
  std::string tool = findTool();
  std::string output = (fs::path(folder) / (name + ".model")).string();
  std::vector<std::string> args = {
      tool,
      "--input", input.string(),
      "--out", output,
      "--vocab-size", std::to_string(options.vocabSize),
      "--character-coverage", std::to_string(options.characterCoverage),
      "--max-sentence-length", std::to_string(options.maxSentenceLength)};
  for (const std::string &s : options.userDefinedSymbols)
    args.insert(args.end(), {"--user-defined-symbol", s});
  if (options.verbose)
    args.push_back("--verbose");
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid;
  int rc = posix_spawnp(&pid, tool.c_str(), nullptr, nullptr, argv.data(),
                        environ);
  if (rc != 0)
    throw Error("cannot run '" + tool + "' to train the BPE tokenizer: " +
                std::strerror(rc) +
                " (set KDC_BPE_TRAIN to its path, or put it on PATH)");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  fs::remove(input);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("'" + tool + "' failed to train the BPE tokenizer for '" +
                output + "' (see its message above)");
  return output;
}
