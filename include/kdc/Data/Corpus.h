//===- Corpus.h - labelled and unlabelled utterance corpora -----*- C++ -*-===//
//
// The first step of every kdc pipeline reads utterances, with or without an
// intent label, from one of the data files named in ARCHITECTURE.md:
//
//   massive   JSON Lines, one object per line with string fields "utt" (text)
//             and "intent" (label), optional "locale" and "partition"; the
//             field names can be changed with textColumn / labelColumn.
//   csv       RFC 4180 CSV with a header row naming a "text" column and,
//             optionally, "label", "locale" and "partition" columns.
//   tsv       the same layout split on tabs, without quoting.
//   schuster  the Schuster et al. (2019) TSV: no header; label, slots,
//             utterance, language tag, tokenization. The locale is the
//             language subtag of the tag ("en_XX" -> "en", "th_TH" -> "th"),
//             since the region is either a placeholder or redundant there;
//             the partition comes from the file name (train-/eval-/test-xx.tsv
//             -> train/dev/test). The slot and tokenization columns are not
//             read.
//   clinc150  CLINC150's JSON: one object whose keys train, val, test,
//             oos_train, oos_val, oos_test (partitions train/dev/test) hold
//             [utterance, intent] pairs; the oos_* keys get the label "oos".
//   text      one unlabelled utterance per line.
//
// Text and labels are trimmed of ASCII white space. A UTF-8 byte order mark
// and CRLF line ends are accepted everywhere. Partitions are normalised to
// "train", "dev" and "test" where the format names them otherwise.
//
// Every failure a user can cause throws kdc::Error naming the file, the line
// and what was expected. With ReadOptions::skipBadLines, a bad line or record
// is skipped instead and counted in Corpus::skippedLines; failures that leave
// no line to skip to still throw: an unreadable or empty file, a bad CSV/TSV
// header (missing column, invalid UTF-8), an unterminated CSV quote (the rest
// of the file would be one field), and CLINC150 JSON that is malformed, not
// UTF-8 or not shaped as CLINC150's object (a bad pair inside it is skipped).
// Byte offsets in messages count from the start of the file, including any
// byte order mark; columns count bytes from 1.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_DATA_CORPUS_H
#define KDC_DATA_CORPUS_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kdc {

enum class CorpusFormat { Auto, Massive, Csv, Tsv, Schuster, Clinc150, Text };

/// Parses a format name: auto, massive (or jsonl), csv, tsv, schuster,
/// clinc150, text (or txt). Throws kdc::Error for any other name.
CorpusFormat parseCorpusFormat(std::string_view name);

/// The canonical name of a format, as accepted by parseCorpusFormat.
const char *corpusFormatName(CorpusFormat format);

/// The format `auto` picks for a file: by extension (.jsonl massive; .json
/// clinc150, or massive if its first line is a whole JSON object; .csv csv;
/// .txt text) and, for .tsv, by its first line (a header naming
/// `textColumn` -> tsv, 5 tab-separated columns -> schuster). Throws
/// kdc::Error when the file cannot be read or the format cannot be told.
CorpusFormat detectCorpusFormat(const std::string &path,
                                const std::string &textColumn = "text");

/// One utterance. `label`, `locale` and `partition` are empty when the file
/// does not give them.
struct Example {
  std::string text;
  std::string label;
  std::string locale;
  std::string partition;
  /// Where the example came from, so later steps can report errors in the
  /// same "file:line" form: an index into Corpus::paths and the 1-based line
  /// on which its record starts.
  size_t source = 0;
  size_t line = 0;
};

struct ReadOptions {
  CorpusFormat format = CorpusFormat::Auto;
  /// The text and label column (csv, tsv) or field (massive) names. Empty
  /// means the format's default: "text"/"label" for csv and tsv,
  /// "utt"/"intent" for massive. Other formats ignore them.
  std::string textColumn;
  std::string labelColumn;
  /// A file without labels (no label column or field, or the text format) is
  /// an error instead of an unlabelled corpus.
  bool requireLabels = false;
  /// Skip and count bad lines instead of throwing.
  bool skipBadLines = false;
  /// Keep only the examples of this partition ("train", "dev", "test"). It is
  /// an error if that leaves no example.
  std::optional<std::string> partition;
  /// The locale of examples whose file gives none.
  std::string defaultLocale;
};

struct Corpus {
  /// The files read, in order.
  std::vector<std::string> paths;
  std::vector<Example> examples;
  /// Bad lines or records skipped under ReadOptions::skipBadLines.
  size_t skippedLines = 0;
  /// The messages of the first kMaxSkipMessages skipped lines, in the form of
  /// the errors they would have raised, for the caller to show as warnings.
  std::vector<std::string> skipMessages;
  static constexpr size_t kMaxSkipMessages = 20;
  /// Lines holding nothing but white space; they are never examples.
  size_t blankLines = 0;

  size_t size() const { return examples.size(); }
  bool empty() const { return examples.empty(); }
  /// True if the corpus is non-empty and every example has a label.
  bool labelled() const;
  /// The distinct non-empty labels, sorted bytewise.
  std::vector<std::string> labels() const;
  /// The distinct non-empty locales, sorted bytewise.
  std::vector<std::string> locales() const;
  /// The distinct non-empty partitions, sorted bytewise.
  std::vector<std::string> partitions() const;
  /// "file:line" of an example, for error messages.
  std::string where(const Example &example) const;
  /// Keeps only the examples whose partition is one of `names` (all of them
  /// when `names` is empty), as `kdc label/augment --partition` ask.
  void keepPartitions(const std::vector<std::string> &names);
};

/// Reads one corpus file. Throws kdc::Error on any failure a user can cause,
/// including a file without a single utterance.
Corpus readCorpus(const std::string &path, const ReadOptions &options = {});

/// Reads several files (each detected on its own under Format::Auto) into one
/// corpus, in order. A partition filter must keep at least one example over
/// all files, not in each.
Corpus readCorpora(const std::vector<std::string> &paths,
                   const ReadOptions &options = {});

/// Label names <-> dense ids 0..size()-1. Ids follow insertion order, so an
/// index built from sorted labels (fromLabels / fromCorpus) is the same on
/// every run and machine.
class LabelIndex {
public:
  LabelIndex() = default;
  /// Ids in the given order; throws kdc::Error on an empty or duplicate name.
  explicit LabelIndex(std::vector<std::string> names);
  /// The corpus's sorted distinct labels.
  static LabelIndex fromCorpus(const Corpus &corpus);

  size_t size() const { return nameOf.size(); }
  bool empty() const { return nameOf.empty(); }
  const std::vector<std::string> &names() const { return nameOf; }
  /// The name of an id; throws kdc::Error if the id is out of range.
  const std::string &name(size_t id) const;
  /// The id of a name, if known.
  std::optional<size_t> find(const std::string &name) const;
  /// The id of a name; throws kdc::Error naming it if unknown.
  size_t id(const std::string &name) const;
  /// The id of a name, adding it at the end if new.
  size_t add(const std::string &name);
  /// The ids of every example's label; throws kdc::Error naming the file and
  /// line of the first example whose label is empty or unknown.
  std::vector<size_t> ids(const Corpus &corpus) const;

private:
  std::vector<std::string> nameOf;
  std::unordered_map<std::string, size_t> idOf;
};

} // namespace kdc

#endif // KDC_DATA_CORPUS_H
