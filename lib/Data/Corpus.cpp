//===- Corpus.cpp - labelled and unlabelled utterance corpora -------------===//
//
// Each file is read whole into memory and parsed from there: corpora are at
// most a few hundred MB, the examples hold the text anyway, and one buffer
// gives every error an exact line and byte offset.
//
//===----------------------------------------------------------------------===//

#include "kdc/Data/Corpus.h"

#include "kdc/Support/Error.h"
#include "kdc/runtime/utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iterator>
#include <set>

using namespace kdc;
using json = nlohmann::json;

//===----------------------------------------------------------------------===//
// Format names and detection
//===----------------------------------------------------------------------===//

CorpusFormat kdc::parseCorpusFormat(std::string_view name) {
  if (name == "auto")
    return CorpusFormat::Auto;
  if (name == "massive" || name == "jsonl")
    return CorpusFormat::Massive;
  if (name == "csv")
    return CorpusFormat::Csv;
  if (name == "tsv")
    return CorpusFormat::Tsv;
  if (name == "schuster")
    return CorpusFormat::Schuster;
  if (name == "clinc150")
    return CorpusFormat::Clinc150;
  if (name == "text" || name == "txt")
    return CorpusFormat::Text;
  throw Error("unknown corpus format \"" + std::string(name) +
              "\"; expected one of auto, massive (or jsonl), csv, tsv, "
              "schuster, clinc150, text (or txt)");
}

const char *kdc::corpusFormatName(CorpusFormat format) {
  switch (format) {
  case CorpusFormat::Auto:
    return "auto";
  case CorpusFormat::Massive:
    return "massive";
  case CorpusFormat::Csv:
    return "csv";
  case CorpusFormat::Tsv:
    return "tsv";
  case CorpusFormat::Schuster:
    return "schuster";
  case CorpusFormat::Clinc150:
    return "clinc150";
  case CorpusFormat::Text:
    return "text";
  }
  return "unknown";
}

namespace {

constexpr size_t npos = std::string::npos;

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

bool isBlank(std::string_view s) { return trim(s).empty(); }

std::string inQuotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string joined(const std::vector<std::string> &items,
                   const char *separator = ", ") {
  std::string out;
  for (const std::string &item : items) {
    if (!out.empty())
      out += separator;
    out += item;
  }
  return out;
}

std::string readWholeFile(const std::string &path) {
  errno = 0;
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::string data;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    data.append(buffer, n);
  // fopen succeeds on a directory on Linux; the read reports EISDIR.
  bool failed = std::ferror(file);
  int error = errno;
  std::fclose(file);
  if (failed)
    throw Error("cannot read " + path + ": " + std::strerror(error));
  return data;
}

/// The offset of the text after a UTF-8 byte order mark, if any.
size_t bodyStart(const std::string &data) {
  return data.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
}

/// The first line of the body, without its line end.
std::string_view firstLine(const std::string &data) {
  size_t begin = bodyStart(data);
  size_t end = std::min(data.find('\n', begin), data.size());
  if (end > begin && data[end - 1] == '\r')
    --end;
  return std::string_view(data).substr(begin, end - begin);
}

std::vector<std::string_view> split(std::string_view line, char separator) {
  std::vector<std::string_view> fields;
  for (size_t begin = 0;;) {
    size_t end = line.find(separator, begin);
    if (end == std::string_view::npos) {
      fields.push_back(line.substr(begin));
      return fields;
    }
    fields.push_back(line.substr(begin, end - begin));
    begin = end + 1;
  }
}

std::string lowercaseExtension(const std::string &path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == npos || (slash != npos && dot < slash))
    return "";
  std::string ext = path.substr(dot);
  for (char &c : ext)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return ext;
}

/// Picks a format from the file name and, where the extension is ambiguous,
/// from the file's first line.
CorpusFormat detectFormat(const std::string &path, std::string_view head,
                          bool fileIsBlank, const std::string &textColumn) {
  std::string ext = lowercaseExtension(path);
  if (ext == ".jsonl")
    return CorpusFormat::Massive;
  if (ext == ".csv")
    return CorpusFormat::Csv;
  if (ext == ".txt")
    return CorpusFormat::Text;
  if (ext == ".json") {
    // JSON Lines saved as .json has a whole object on its first line; so
    // does a minified CLINC150 file, told apart by its split keys.
    std::string_view line = trim(head);
    if (line.empty() || line.front() != '{')
      return CorpusFormat::Clinc150;
    json object = json::parse(line.begin(), line.end(), nullptr,
                              /*allow_exceptions=*/false);
    if (!object.is_object())
      return CorpusFormat::Clinc150;
    for (const char *key :
         {"train", "val", "test", "oos_train", "oos_val", "oos_test"})
      if (object.contains(key))
        return CorpusFormat::Clinc150;
    return CorpusFormat::Massive;
  }
  if (ext == ".tsv") {
    if (fileIsBlank)
      throw Error(path +
                  ": the file is empty; expected a TSV header row "
                  "naming a " +
                  inQuotes(textColumn) +
                  " column, or the 5 tab-separated columns of the Schuster "
                  "et al. format");
    std::vector<std::string_view> fields = split(head, '\t');
    for (std::string_view field : fields)
      if (trim(field) == textColumn)
        return CorpusFormat::Tsv;
    if (fields.size() == 5)
      return CorpusFormat::Schuster;
    throw errorAt(path, 1,
                  "cannot tell the layout of this TSV file: expected a "
                  "header row naming a " +
                      inQuotes(textColumn) +
                      " column, or the 5 tab-separated columns of the "
                      "Schuster et al. format; found " +
                      std::to_string(fields.size()) + " column(s)");
  }
  throw Error("cannot tell the format of " + path + " from its extension" +
              (ext.empty() ? std::string() : " " + inQuotes(ext)) +
              "; expected .jsonl, .json, .csv, .tsv or .txt, or an explicit "
              "format (massive, csv, tsv, schuster, clinc150, text)");
}

std::string defaultTextColumn(const ReadOptions &options) {
  return options.textColumn.empty() ? "text" : options.textColumn;
}

} // namespace

CorpusFormat kdc::detectCorpusFormat(const std::string &path,
                                     const std::string &textColumn) {
  std::string data = readWholeFile(path);
  return detectFormat(path, firstLine(data),
                      isBlank(std::string_view(data).substr(bodyStart(data))),
                      textColumn);
}

//===----------------------------------------------------------------------===//
// Readers
//===----------------------------------------------------------------------===//

namespace {

/// Partition names as the formats spell them -> train/dev/test.
std::string partitionFromFileName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string name = path.substr(slash == npos ? 0 : slash + 1);
  for (char &c : name)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  auto startsWithWord = [&](const char *word) {
    size_t n = std::strlen(word);
    return name.compare(0, n, word) == 0 &&
           (name.size() == n || name[n] == '-' || name[n] == '_' ||
            name[n] == '.');
  };
  if (startsWithWord("train"))
    return "train";
  if (startsWithWord("eval") || startsWithWord("dev") ||
      startsWithWord("valid"))
    return "dev";
  if (startsWithWord("test"))
    return "test";
  return "";
}

const char *jsonTypeName(const json &value) {
  switch (value.type()) {
  case json::value_t::null:
    return "null";
  case json::value_t::object:
    return "an object";
  case json::value_t::array:
    return "an array";
  case json::value_t::string:
    return "a string";
  case json::value_t::boolean:
    return "a boolean";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float:
    return "a number";
  default:
    return "not a string";
  }
}

/// nlohmann's error text without its "[json.exception.parse_error.101]" tag
/// and "parse error at line 1, column 7: " prefix, which would repeat the
/// place we report.
std::string jsonReason(const std::string &what) {
  std::string reason = what;
  if (!reason.empty() && reason.front() == '[') {
    size_t close = reason.find("] ");
    if (close != npos)
      reason.erase(0, close + 2);
  }
  if (reason.compare(0, 11, "parse error") == 0) {
    size_t colon = reason.find(": ");
    if (colon != npos)
      reason.erase(0, colon + 2);
  }
  return reason;
}

/// An input iterator over a buffer that publishes how far nlohmann's lexer
/// has read, so SAX events can be given the line they occur on.
class TrackingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  TrackingIterator(const char *p, const char **cursor) : p(p), cursor(cursor) {}
  reference operator*() const { return *p; }
  TrackingIterator &operator++() {
    *cursor = ++p;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator &other) const { return p == other.p; }
  bool operator!=(const TrackingIterator &other) const { return p != other.p; }

private:
  const char *p;
  const char **cursor;
};

struct Line;
class LineCursor;

class FileReader {
public:
  FileReader(const std::string &path, size_t source, const ReadOptions &options,
             Corpus &corpus)
      : path(path), source(source), options(options), corpus(corpus) {}

  /// Reads the file into `examples` (before partition filtering).
  void read();

  std::vector<Example> examples;

private:
  void readMassive();
  void readTable(char separator);
  void readSchuster();
  void readClinc150();
  void readText();
  void finish(CorpusFormat format);

  /// The next line that holds a record: blank lines are counted and skipped,
  /// lines with invalid UTF-8 reported (and skipped under skipBadLines).
  bool nextRecordLine(LineCursor &lines, Line &line);
  /// Reports a bad line: throws, or under skipBadLines counts it.
  void bad(size_t line, const std::string &message);
  /// Checks data[begin, end), which starts on `line`; reports a bad line and
  /// returns false at the first invalid byte.
  bool checkUtf8(size_t begin, size_t end, size_t line);
  /// The offset of the first invalid UTF-8 byte in data[begin, end), or npos.
  size_t firstInvalidUtf8(size_t begin, size_t end) const;
  [[noreturn]] void fatalUtf8(size_t offset);
  /// Trims and adds an example; `textPlace`/`labelPlace` name the column or
  /// field in errors. A null `label` means the record has none.
  void add(size_t line, std::string_view text, const std::string_view *label,
           std::string_view locale, std::string_view partition,
           const std::string &textPlace, const std::string &labelPlace);

  const std::string &path;
  size_t source;
  const ReadOptions &options;
  Corpus &corpus;
  std::string data;
};

void FileReader::bad(size_t line, const std::string &message) {
  Error error = errorAt(path, line, message);
  if (!options.skipBadLines)
    throw error;
  ++corpus.skippedLines;
  if (corpus.skipMessages.size() < Corpus::kMaxSkipMessages)
    corpus.skipMessages.push_back(error.what());
}

size_t FileReader::firstInvalidUtf8(size_t begin, size_t end) const {
  size_t valid = kdc_utf8_validate(data.data() + begin, end - begin);
  return valid == end - begin ? npos : begin + valid;
}

bool FileReader::checkUtf8(size_t begin, size_t end, size_t line) {
  size_t offset = firstInvalidUtf8(begin, end);
  if (offset == npos)
    return true;
  line += std::count(data.begin() + begin, data.begin() + offset, '\n');
  bad(line, "invalid UTF-8 at byte offset " + std::to_string(offset) +
                "; expected UTF-8 text");
  return false;
}

void FileReader::fatalUtf8(size_t offset) {
  size_t line = 1 + std::count(data.begin(), data.begin() + offset, '\n');
  throw errorAt(path, line,
                "invalid UTF-8 at byte offset " + std::to_string(offset) +
                    "; expected UTF-8 text");
}

void FileReader::add(size_t line, std::string_view text,
                     const std::string_view *label, std::string_view locale,
                     std::string_view partition, const std::string &textPlace,
                     const std::string &labelPlace) {
  text = trim(text);
  if (text.empty())
    return bad(line,
               "empty utterance in " + textPlace + "; expected non-empty text");
  std::string_view labelText;
  if (label) {
    labelText = trim(*label);
    if (labelText.empty())
      return bad(line, "empty label in " + labelPlace +
                           "; expected a non-empty label");
  }
  locale = trim(locale);
  Example example;
  example.text = std::string(text);
  example.label = std::string(labelText);
  example.locale = locale.empty() ? options.defaultLocale : std::string(locale);
  example.partition = std::string(trim(partition));
  example.source = source;
  example.line = line;
  examples.push_back(std::move(example));
}

void FileReader::read() {
  data = readWholeFile(path);
  CorpusFormat format = options.format;
  if (format == CorpusFormat::Auto)
    format =
        detectFormat(path, firstLine(data),
                     isBlank(std::string_view(data).substr(bodyStart(data))),
                     defaultTextColumn(options));
  switch (format) {
  case CorpusFormat::Massive:
    readMassive();
    break;
  case CorpusFormat::Csv:
    readTable(',');
    break;
  case CorpusFormat::Tsv:
    readTable('\t');
    break;
  case CorpusFormat::Schuster:
    readSchuster();
    break;
  case CorpusFormat::Clinc150:
    readClinc150();
    break;
  case CorpusFormat::Text:
  case CorpusFormat::Auto:
    readText();
    break;
  }
  finish(format);
}

/// Walks the lines of a buffer; `text` excludes the line end (LF or CRLF).
struct Line {
  std::string_view text;
  size_t number = 0;
  size_t begin = 0;
};

class LineCursor {
public:
  explicit LineCursor(const std::string &data)
      : data(data), pos(bodyStart(data)) {}
  bool next(Line &line) {
    if (pos >= data.size())
      return false;
    size_t end = std::min(data.find('\n', pos), data.size());
    size_t stop = end;
    if (stop > pos && data[stop - 1] == '\r')
      --stop;
    line.text = std::string_view(data).substr(pos, stop - pos);
    line.number = ++number;
    line.begin = pos;
    pos = end + 1;
    return true;
  }

private:
  const std::string &data;
  size_t pos;
  size_t number = 0;
};

void FileReader::readMassive() {
  std::string textField =
      options.textColumn.empty() ? "utt" : options.textColumn;
  std::string labelField =
      options.labelColumn.empty() ? "intent" : options.labelColumn;
  std::string expected = "expected a JSON object with string fields " +
                         inQuotes(textField) + " and " + inQuotes(labelField);
  std::string textPlace = "field " + inQuotes(textField);
  std::string labelPlace = "field " + inQuotes(labelField);

  LineCursor lines(data);
  Line line;
  while (nextRecordLine(lines, line)) {
    json record;
    try {
      record = json::parse(line.text.begin(), line.text.end());
    } catch (const json::parse_error &e) {
      bad(line.number, "malformed JSON at column " + std::to_string(e.byte) +
                           " (" + jsonReason(e.what()) + "); " + expected);
      continue;
    } catch (const json::exception &e) {
      // E.g. out_of_range for a number beyond double's range.
      bad(line.number,
          "malformed JSON (" + jsonReason(e.what()) + "); " + expected);
      continue;
    }
    if (!record.is_object()) {
      bad(line.number,
          std::string("found ") + jsonTypeName(record) + "; " + expected);
      continue;
    }
    // Optional fields may be absent or null; present ones must be strings.
    auto optionalString = [&](const std::string &name, std::string_view &out,
                              bool &present) {
      present = false;
      auto it = record.find(name);
      if (it == record.end() || it->is_null())
        return true;
      if (!it->is_string()) {
        bad(line.number, "field " + inQuotes(name) + " is " +
                             jsonTypeName(*it) + "; " + expected);
        return false;
      }
      out = it->get_ref<const std::string &>();
      present = true;
      return true;
    };
    auto text = record.find(textField);
    if (text == record.end()) {
      bad(line.number,
          "field " + inQuotes(textField) + " is missing; " + expected);
      continue;
    }
    if (!text->is_string()) {
      bad(line.number, "field " + inQuotes(textField) + " is " +
                           jsonTypeName(*text) + "; " + expected);
      continue;
    }
    std::string_view label, locale, partition;
    bool hasLabel, hasLocale, hasPartition;
    if (!optionalString(labelField, label, hasLabel) ||
        !optionalString("locale", locale, hasLocale) ||
        !optionalString("partition", partition, hasPartition))
      continue;
    add(line.number, text->get_ref<const std::string &>(),
        hasLabel ? &label : nullptr, locale, partition, textPlace, labelPlace);
  }
}

/// One CSV or TSV record: its fields, the line it starts on and its bytes.
struct Record {
  std::vector<std::string> fields;
  size_t line = 0;
  size_t begin = 0;
  size_t end = 0;
  std::string error;
};

enum class RecordStatus { End, Blank, Ok, Bad, Unterminated };

/// Splits a buffer into RFC 4180 records (separator ','), or into lines split
/// on tabs without any quoting (separator '\t').
class RecordCursor {
public:
  RecordCursor(const std::string &data, char separator)
      : data(data), separator(separator), pos(bodyStart(data)) {}

  RecordStatus next(Record &record) {
    if (pos >= data.size())
      return RecordStatus::End;
    record.fields.clear();
    record.error.clear();
    record.line = line;
    record.begin = pos;
    size_t eol = std::min(data.find('\n', pos), data.size());
    if (isBlank(std::string_view(data).substr(pos, eol - pos))) {
      record.end = eol;
      endLineAt(eol);
      return RecordStatus::Blank;
    }
    if (separator == '\t') {
      size_t stop = eol;
      if (stop > pos && data[stop - 1] == '\r')
        --stop;
      for (std::string_view field :
           split(std::string_view(data).substr(pos, stop - pos), '\t'))
        record.fields.emplace_back(field);
      record.end = eol;
      endLineAt(eol);
      return RecordStatus::Ok;
    }
    return nextCsv(record);
  }

private:
  void endLineAt(size_t eol) {
    pos = eol + 1;
    ++line;
  }

  RecordStatus nextCsv(Record &record) {
    const size_t size = data.size();
    std::string field;
    for (;;) {
      // Space before an opening quote is tolerated, as spreadsheet exports
      // and hand-written files often have it after the comma.
      size_t p = pos;
      while (p < size && (data[p] == ' ' || data[p] == '\t'))
        ++p;
      if (p < size && data[p] == '"') {
        size_t openLine = line;
        field.clear();
        for (pos = p + 1;;) {
          if (pos >= size) {
            record.line = openLine;
            record.end = size;
            record.error = "unterminated quoted field " +
                           std::to_string(record.fields.size() + 1) +
                           "; expected a closing '\"' before the end of the "
                           "file";
            return RecordStatus::Unterminated;
          }
          char c = data[pos];
          if (c == '"') {
            if (pos + 1 < size && data[pos + 1] == '"') {
              field += '"';
              pos += 2;
              continue;
            }
            ++pos;
            break;
          }
          if (c == '\n') {
            ++line;
            // A quoted newline is text; keep it LF whatever the file uses.
            if (!field.empty() && field.back() == '\r')
              field.pop_back();
          }
          field += c;
          ++pos;
        }
        record.fields.push_back(field);
        while (pos < size &&
               (data[pos] == ' ' || data[pos] == '\t' ||
                (data[pos] == '\r' && pos + 1 < size && data[pos + 1] == '\n')))
          ++pos;
        if (pos >= size) {
          record.end = size;
          return RecordStatus::Ok;
        }
        if (data[pos] == ',') {
          ++pos;
          continue;
        }
        if (data[pos] == '\n') {
          record.end = pos;
          endLineAt(pos);
          return RecordStatus::Ok;
        }
        record.error = "unexpected text after the closing quote of field " +
                       std::to_string(record.fields.size()) +
                       "; expected ',' or the end of the line";
        size_t eol = std::min(data.find('\n', pos), size);
        record.end = eol;
        endLineAt(eol);
        return RecordStatus::Bad;
      }
      size_t end = std::min(data.find_first_of(",\n", pos), size);
      size_t stop = end;
      if ((end == size || data[end] == '\n') && stop > pos &&
          data[stop - 1] == '\r')
        --stop;
      record.fields.push_back(data.substr(pos, stop - pos));
      if (end < size && data[end] == ',') {
        pos = end + 1;
        continue;
      }
      record.end = end;
      endLineAt(end);
      return RecordStatus::Ok;
    }
  }

  const std::string &data;
  char separator;
  size_t pos;
  size_t line = 1;
};

void FileReader::readTable(char separator) {
  const bool csv = separator == ',';
  const char *kind = csv ? "comma-separated" : "tab-separated";
  std::string textColumn = defaultTextColumn(options);
  std::string labelColumn =
      options.labelColumn.empty() ? "label" : options.labelColumn;

  RecordCursor records(data, separator);
  Record record;
  RecordStatus status;
  while ((status = records.next(record)) == RecordStatus::Blank)
    ++corpus.blankLines;
  if (status == RecordStatus::End)
    return; // finish() reports the empty file.
  if (status != RecordStatus::Ok)
    throw errorAt(path, record.line, "in the header row: " + record.error);
  // Without a header no line can be read, so even skipBadLines stops here.
  if (size_t offset = firstInvalidUtf8(record.begin, record.end);
      offset != npos)
    fatalUtf8(offset);

  std::vector<std::string> header;
  for (const std::string &name : record.fields)
    header.emplace_back(trim(name));
  const size_t headerLine = record.line;
  auto column = [&](const std::string &name,
                    bool required) -> std::optional<size_t> {
    std::optional<size_t> found;
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] != name)
        continue;
      if (found)
        throw errorAt(path, headerLine,
                      "column " + inQuotes(name) +
                          " appears twice in the header (columns " +
                          std::to_string(*found + 1) + " and " +
                          std::to_string(i + 1) + "); expected it once");
      found = i;
    }
    if (!found && required)
      throw errorAt(path, headerLine,
                    "missing column " + inQuotes(name) +
                        " in the header; expected a header row naming a " +
                        inQuotes(textColumn) + " column" +
                        (options.requireLabels || !options.labelColumn.empty()
                             ? " and a " + inQuotes(labelColumn) + " column"
                             : std::string()) +
                        " (found: " + joined(header) + ")");
    return found;
  };
  size_t textIndex = *column(textColumn, true);
  // A label column the user named, or labels the caller needs, must be
  // there; otherwise its absence makes an unlabelled corpus.
  std::optional<size_t> labelIndex = column(
      labelColumn, options.requireLabels || !options.labelColumn.empty());
  std::optional<size_t> localeIndex = column("locale", false);
  std::optional<size_t> partitionIndex = column("partition", false);
  std::string textPlace = "column " + inQuotes(textColumn);
  std::string labelPlace = "column " + inQuotes(labelColumn);

  while ((status = records.next(record)) != RecordStatus::End) {
    switch (status) {
    case RecordStatus::Blank:
      ++corpus.blankLines;
      continue;
    case RecordStatus::Unterminated:
      // Everything after the quote is one unterminated field: there is no
      // next line to resume at, so this is fatal even under skipBadLines.
      throw errorAt(path, record.line, record.error);
    case RecordStatus::Bad:
      bad(record.line, record.error);
      continue;
    default:
      break;
    }
    if (!checkUtf8(record.begin, record.end, record.line))
      continue;
    if (record.fields.size() != header.size()) {
      bad(record.line, "expected " + std::to_string(header.size()) + " " +
                           kind + " fields as in the header, found " +
                           std::to_string(record.fields.size()));
      continue;
    }
    std::string_view label;
    if (labelIndex)
      label = record.fields[*labelIndex];
    add(record.line, record.fields[textIndex], labelIndex ? &label : nullptr,
        localeIndex ? std::string_view(record.fields[*localeIndex]) : "",
        partitionIndex ? std::string_view(record.fields[*partitionIndex]) : "",
        textPlace, labelPlace);
  }
}

void FileReader::readSchuster() {
  std::string partition = partitionFromFileName(path);
  LineCursor lines(data);
  Line line;
  while (nextRecordLine(lines, line)) {
    std::vector<std::string_view> fields = split(line.text, '\t');
    if (fields.size() != 5) {
      bad(line.number, "expected 5 tab-separated columns (label, slots, "
                       "utterance, language tag, tokenization), found " +
                           std::to_string(fields.size()));
      continue;
    }
    // "en_XX" -> "en": the region is a placeholder or, as in "th_TH",
    // says nothing the language does not.
    std::string_view tag = trim(fields[3]);
    std::string_view locale = tag.substr(0, tag.find('_'));
    add(line.number, fields[2], &fields[0], locale, partition,
        "column 3 (utterance)", "column 1 (label)");
  }
}

/// The SAX handler for CLINC150's one JSON object. It streams the pairs to
/// the reader instead of building a 23,700-element DOM, and knows the line of
/// every event through the TrackingIterator's cursor.
class ClincHandler {
public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  /// onPair(line, utterance, label, partition, place of the pair).
  using PairFn =
      std::function<void(size_t, const std::string &, const std::string &,
                         const char *, const std::string &)>;
  /// onBad(line, message) for an item that is not a pair of strings.
  using BadFn = std::function<void(size_t, const std::string &)>;

  ClincHandler(const char *first, const char *last, const char *const *cursor,
               PairFn onPair, BadFn onBad)
      : first(first), last(last), cursor(cursor), counted(first),
        onPair(std::move(onPair)), onBad(std::move(onBad)) {}

  /// Set when parsing stops: a fatal error and its line.
  std::string error;
  size_t errorLine = 0;

  bool null() { return scalar("null"); }
  bool boolean(bool) { return scalar("a boolean"); }
  bool number_integer(number_integer_t) { return scalar("a number"); }
  bool number_unsigned(number_unsigned_t) { return scalar("a number"); }
  bool number_float(number_float_t, const string_t &) {
    return scalar("a number");
  }
  bool binary(binary_t &) { return scalar("binary data"); }
  bool string(string_t &s) {
    if (depth == 3 && !itemBad) {
      if (strings < 2)
        (strings == 0 ? utterance : intent) = std::move(s);
      ++strings;
      return true;
    }
    return scalar("a string");
  }

  bool start_object(std::size_t) {
    if (depth == 0) {
      depth = 1;
      return true;
    }
    return container("an object");
  }
  bool start_array(std::size_t) {
    if (depth == 0)
      return fail("found an array; " + std::string(expectedTop));
    if (depth == 1) {
      depth = 2;
      return true;
    }
    if (depth == 2) {
      ++item;
      pairLine = line();
      strings = 0;
      itemBad = false;
      depth = 3;
      return true;
    }
    return container("an array");
  }
  bool end_object() { return endContainer(); }
  bool end_array() { return endContainer(); }

  bool key(string_t &k) {
    // Keys of nested objects belong to an item already reported as bad.
    if (depth != 1)
      return true;
    auto it = std::find_if(std::begin(kSplits), std::end(kSplits),
                           [&](const Split &s) { return k == s.key; });
    if (it == std::end(kSplits))
      return fail("unexpected key " + inQuotes(k) +
                  "; expected the keys train, val, test, oos_train, "
                  "oos_val, oos_test");
    if (!seen.insert(k).second)
      return fail("key " + inQuotes(k) + " appears twice; expected it once");
    split = &*it;
    item = 0;
    return true;
  }

  bool parse_error(std::size_t position, const std::string &,
                   const nlohmann::detail::exception &e) {
    // `position` counts the bytes read, the offending one included.
    const char *at =
        first + std::min<size_t>(position ? position - 1 : 0, last - first);
    error = "malformed JSON (" + jsonReason(e.what()) + "); " + expectedTop;
    errorLine = lineOf(at);
    return false;
  }

private:
  struct Split {
    const char *key;
    const char *partition;
    bool oos;
  };
  static constexpr Split kSplits[] = {
      {"train", "train", false}, {"val", "dev", false},
      {"test", "test", false},   {"oos_train", "train", true},
      {"oos_val", "dev", true},  {"oos_test", "test", true}};
  static constexpr const char *expectedTop =
      "expected CLINC150's JSON object whose keys train, val, test, "
      "oos_train, oos_val, oos_test hold lists of [utterance, intent] pairs";
  static constexpr const char *expectedPair =
      "expected an [utterance, intent] pair of strings";

  std::string place() const {
    return "item " + std::to_string(item) + " of " + inQuotes(split->key);
  }

  /// A scalar where the structure does not allow it (strings of a pair are
  /// handled by string()).
  bool scalar(const char *what) {
    if (depth == 0)
      return fail(std::string("found ") + what + "; " + expectedTop);
    if (depth == 1)
      return fail("the value of " + inQuotes(split->key) + " is " + what +
                  "; expected a list of [utterance, intent] pairs");
    if (depth == 2) {
      ++item;
      onBad(line(), place() + " is " + what + "; " + expectedPair);
      return true;
    }
    markItemBad(what);
    return true;
  }

  /// An object, or an array inside a pair, where the structure does not
  /// allow it; its contents are ignored until it closes.
  bool container(const char *what) {
    if (depth == 1)
      return fail("the value of " + inQuotes(split->key) + " is " + what +
                  "; expected a list of [utterance, intent] pairs");
    if (depth == 2) {
      ++item;
      pairLine = line();
      itemBad = true;
      onBad(pairLine, place() + " is " + what + "; " + expectedPair);
    } else {
      markItemBad(what);
    }
    ++depth;
    return true;
  }

  void markItemBad(const char *what) {
    if (itemBad)
      return;
    itemBad = true;
    onBad(pairLine, place() + " holds " + what + "; " + expectedPair);
  }

  bool endContainer() {
    if (--depth != 2 || itemBad)
      return true;
    if (strings != 2) {
      onBad(pairLine, place() + " holds " + std::to_string(strings) +
                          " string(s); " + expectedPair);
      return true;
    }
    onPair(pairLine, utterance, split->oos ? std::string("oos") : intent,
           split->partition, place());
    return true;
  }

  bool fail(const std::string &message) {
    error = message;
    errorLine = line();
    return false;
  }

  size_t line() { return lineOf(*cursor); }

  /// Lines are counted incrementally, since the lexer only moves forward.
  size_t lineOf(const char *at) {
    if (at < counted) // parse_error may point just behind the cursor.
      return lineNumber - std::count(at, counted, '\n');
    lineNumber += std::count(counted, at, '\n');
    counted = at;
    return lineNumber;
  }

  const char *first;
  const char *last;
  const char *const *cursor;
  const char *counted;
  size_t lineNumber = 1;
  PairFn onPair;
  BadFn onBad;

  int depth = 0;
  std::set<std::string> seen;
  const Split *split = nullptr;
  size_t item = 0;
  size_t pairLine = 0;
  int strings = 0;
  bool itemBad = false;
  std::string utterance, intent;
};

void FileReader::readClinc150() {
  // One document: a bad byte cannot be skipped like a bad line.
  size_t start = bodyStart(data);
  size_t offset = firstInvalidUtf8(start, data.size());
  if (offset != npos)
    fatalUtf8(offset);

  const char *first = data.data() + start;
  const char *last = data.data() + data.size();
  const char *cursor = first;
  ClincHandler handler(
      first, last, &cursor,
      [&](size_t line, const std::string &utterance, const std::string &label,
          const char *partition, const std::string &place) {
        std::string_view labelView = label;
        add(line, utterance, &labelView, "", partition,
            "the utterance of " + place, "the intent of " + place);
      },
      [&](size_t line, const std::string &message) { bad(line, message); });
  if (!json::sax_parse(TrackingIterator(first, &cursor),
                       TrackingIterator(last, &cursor), &handler))
    throw errorAt(path, handler.errorLine, handler.error);
}

bool FileReader::nextRecordLine(LineCursor &lines, Line &line) {
  while (lines.next(line)) {
    if (isBlank(line.text)) {
      ++corpus.blankLines;
      continue;
    }
    if (checkUtf8(line.begin, line.begin + line.text.size(), line.number))
      return true;
  }
  return false;
}

void FileReader::readText() {
  LineCursor lines(data);
  Line line;
  while (nextRecordLine(lines, line)) {
    add(line.number, line.text, nullptr, "", "", "the line", "");
  }
}

/// File-level checks once every record is read.
void FileReader::finish(CorpusFormat format) {
  bool anyLabelled =
      std::any_of(examples.begin(), examples.end(),
                  [](const Example &e) { return !e.label.empty(); });
  // A file is labelled or not as a whole: in a labelled JSONL file a record
  // without the label field is a mistake, not an unlabelled utterance.
  if (anyLabelled) {
    std::string labelField =
        options.labelColumn.empty() ? "intent" : options.labelColumn;
    std::vector<Example> kept;
    kept.reserve(examples.size());
    for (Example &example : examples) {
      if (!example.label.empty()) {
        kept.push_back(std::move(example));
        continue;
      }
      bad(example.line, "field " + inQuotes(labelField) +
                            " is missing, but other lines of the file have "
                            "it; expected every line to carry a label");
    }
    examples = std::move(kept);
  }
  if (examples.empty())
    throw Error(path + ": no utterances found (read as " +
                corpusFormatName(format) + ")" +
                (corpus.skippedLines
                     ? "; " + std::to_string(corpus.skippedLines) +
                           " bad line(s) skipped"
                     : std::string()) +
                "; expected at least one utterance");
  if (options.requireLabels && !anyLabelled) {
    std::string what;
    switch (format) {
    case CorpusFormat::Massive:
      what = "the field " +
             inQuotes(options.labelColumn.empty() ? "intent"
                                                  : options.labelColumn) +
             " on every line";
      break;
    default:
      what = "labels, which the " + std::string(corpusFormatName(format)) +
             " format does not carry";
      break;
    }
    throw Error(path + ": the corpus has no labels; expected " + what);
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Corpus
//===----------------------------------------------------------------------===//

namespace {
template <typename Field>
std::vector<std::string> distinct(const std::vector<Example> &examples,
                                  Field field) {
  std::set<std::string> values;
  for (const Example &example : examples)
    if (!(example.*field).empty())
      values.insert(example.*field);
  return std::vector<std::string>(values.begin(), values.end());
}
} // namespace

bool Corpus::labelled() const {
  return !examples.empty() &&
         std::all_of(examples.begin(), examples.end(),
                     [](const Example &e) { return !e.label.empty(); });
}

std::vector<std::string> Corpus::labels() const {
  return distinct(examples, &Example::label);
}

std::vector<std::string> Corpus::locales() const {
  return distinct(examples, &Example::locale);
}

std::vector<std::string> Corpus::partitions() const {
  return distinct(examples, &Example::partition);
}

void Corpus::keepPartitions(const std::vector<std::string> &names) {
  if (names.empty())
    return;
  std::vector<Example> kept;
  for (Example &e : examples)
    if (std::find(names.begin(), names.end(), e.partition) != names.end())
      kept.push_back(std::move(e));
  examples = std::move(kept);
}

std::string Corpus::where(const Example &example) const {
  std::string file =
      example.source < paths.size() ? paths[example.source] : "<corpus>";
  return file + ":" + std::to_string(example.line);
}

Corpus kdc::readCorpora(const std::vector<std::string> &paths,
                        const ReadOptions &options) {
  if (paths.empty())
    throw Error("no corpus files given; expected at least one");
  Corpus corpus;
  std::set<std::string> partitionsSeen;
  for (const std::string &path : paths) {
    corpus.paths.push_back(path);
    FileReader reader(path, corpus.paths.size() - 1, options, corpus);
    reader.read();
    for (Example &example : reader.examples) {
      if (options.partition) {
        if (!example.partition.empty())
          partitionsSeen.insert(example.partition);
        if (example.partition != *options.partition)
          continue;
      }
      corpus.examples.push_back(std::move(example));
    }
  }
  if (options.partition && corpus.examples.empty())
    throw Error(
        joined(paths) + ": no examples in partition " +
        inQuotes(*options.partition) + "; " +
        (partitionsSeen.empty()
             ? std::string("the data gives no partitions")
             : "expected one of the partitions found: " +
                   joined({partitionsSeen.begin(), partitionsSeen.end()})));
  return corpus;
}

Corpus kdc::readCorpus(const std::string &path, const ReadOptions &options) {
  return readCorpora({path}, options);
}

//===----------------------------------------------------------------------===//
// LabelIndex
//===----------------------------------------------------------------------===//

LabelIndex::LabelIndex(std::vector<std::string> names) {
  for (std::string &name : names) {
    if (name.empty())
      throw Error("empty label name at position " +
                  std::to_string(nameOf.size()) + "; expected a name");
    if (idOf.count(name))
      throw Error("label " + inQuotes(name) +
                  " appears twice; expected distinct label names");
    add(name);
  }
}

LabelIndex LabelIndex::fromCorpus(const Corpus &corpus) {
  return LabelIndex(corpus.labels());
}

const std::string &LabelIndex::name(size_t id) const {
  if (id >= nameOf.size())
    throw Error("label id " + std::to_string(id) +
                " is out of range; expected an id below " +
                std::to_string(nameOf.size()));
  return nameOf[id];
}

std::optional<size_t> LabelIndex::find(const std::string &name) const {
  auto it = idOf.find(name);
  if (it == idOf.end())
    return std::nullopt;
  return it->second;
}

size_t LabelIndex::id(const std::string &name) const {
  if (std::optional<size_t> found = find(name))
    return *found;
  throw Error("unknown label " + inQuotes(name) + "; expected one of the " +
              std::to_string(nameOf.size()) + " known labels");
}

size_t LabelIndex::add(const std::string &name) {
  if (name.empty())
    throw Error("empty label name; expected a name");
  auto [it, inserted] = idOf.emplace(name, nameOf.size());
  if (inserted)
    nameOf.push_back(name);
  return it->second;
}

std::vector<size_t> LabelIndex::ids(const Corpus &corpus) const {
  std::vector<size_t> out;
  out.reserve(corpus.examples.size());
  for (const Example &example : corpus.examples) {
    if (example.label.empty())
      throw Error(corpus.where(example) +
                  ": the utterance has no label; expected a labelled corpus");
    std::optional<size_t> found = find(example.label);
    if (!found)
      throw Error(corpus.where(example) + ": unknown label " +
                  inQuotes(example.label) + "; expected one of the " +
                  std::to_string(nameOf.size()) + " known labels");
    out.push_back(*found);
  }
  return out;
}
