#include "kdc/Data/Corpus.h"
#include "kdc/Support/Error.h"

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <random>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace kdc;

namespace {

class CorpusTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("kdc-corpus-" + std::to_string(::getpid()) + "-" +
           info->test_suite_name() + "-" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string write(const std::string &name, const std::string &content) {
    std::string path = (dir / name).string();
    // A fresh inode: ext4 flushes a truncated-and-rewritten file on close,
    // which made the many rewrites of the fuzz test slow.
    fs::remove(path);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  fs::path dir;
};

/// The message of the kdc::Error `f` throws, or "" (and a failure) if it
/// throws none.
std::string errorOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a kdc::Error";
  return "";
}

#define EXPECT_ERROR(statement, ...)                                           \
  do {                                                                         \
    std::string message = errorOf([&] { (void)(statement); });                 \
    for (const char *part : {__VA_ARGS__})                                     \
      EXPECT_NE(message.find(part), std::string::npos)                         \
          << "missing \"" << part << "\" in: " << message;                     \
  } while (0)

ReadOptions withFormat(CorpusFormat format) {
  ReadOptions options;
  options.format = format;
  return options;
}

ReadOptions skipping() {
  ReadOptions options;
  options.skipBadLines = true;
  return options;
}

//===----------------------------------------------------------------------===//
// MASSIVE JSONL
//===----------------------------------------------------------------------===//

const char *kMassive =
    R"({"id": "0", "locale": "en-US", "partition": "test", "scenario": "alarm", "intent": "alarm_set", "utt": "wake me up at five am", "worker_id": "1"})"
    "\n"
    R"({"id": "1", "locale": "en-US", "partition": "train", "intent": "alarm_set", "utt": "  set an alarm  "})"
    "\n"
    R"({"id": "2", "locale": "en-US", "partition": "dev", "intent": "play_music", "utt": "play jazz \u00e9"})"
    "\n";

TEST_F(CorpusTest, MassiveReadsFields) {
  std::string path = write("a.jsonl", kMassive);
  Corpus c = readCorpus(path);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.paths, std::vector<std::string>{path});
  EXPECT_EQ(c.examples[0].text, "wake me up at five am");
  EXPECT_EQ(c.examples[0].label, "alarm_set");
  EXPECT_EQ(c.examples[0].locale, "en-US");
  EXPECT_EQ(c.examples[0].partition, "test");
  EXPECT_EQ(c.examples[1].text, "set an alarm"); // trimmed
  EXPECT_EQ(c.examples[2].text, "play jazz \xc3\xa9");
  EXPECT_EQ(c.examples[2].line, 3u);
  EXPECT_EQ(c.where(c.examples[2]), path + ":3");
  EXPECT_TRUE(c.labelled());
  EXPECT_EQ(c.labels(), (std::vector<std::string>{"alarm_set", "play_music"}));
  EXPECT_EQ(c.partitions(), (std::vector<std::string>{"dev", "test", "train"}));
  EXPECT_EQ(c.locales(), std::vector<std::string>{"en-US"});
  EXPECT_EQ(c.skippedLines, 0u);
}

TEST_F(CorpusTest, MassivePartitionFilter) {
  std::string path = write("a.jsonl", kMassive);
  ReadOptions options;
  options.partition = "dev";
  Corpus c = readCorpus(path, options);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.examples[0].label, "play_music");

  options.partition = "validation";
  EXPECT_ERROR(readCorpus(path, options), "a.jsonl",
               "no examples in partition \"validation\"", "dev, test, train");
}

TEST_F(CorpusTest, KeepPartitions) {
  Corpus c = readCorpus(write("a.jsonl", kMassive));
  ASSERT_EQ(c.size(), 3u);
  c.keepPartitions({});
  EXPECT_EQ(c.size(), 3u);
  c.keepPartitions({"train", "dev"});
  EXPECT_EQ(c.partitions(), (std::vector<std::string>{"dev", "train"}));
  EXPECT_EQ(c.size(), 2u);
  c.keepPartitions({"validation"});
  EXPECT_TRUE(c.empty());
}

TEST_F(CorpusTest, MassiveRenamedFieldsAndDefaultLocale) {
  std::string path = write("b.jsonl", R"({"text": "hi", "label": "greet"})"
                                      "\n");
  ReadOptions options;
  options.textColumn = "text";
  options.labelColumn = "label";
  options.defaultLocale = "en";
  Corpus c = readCorpus(path, options);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.examples[0].text, "hi");
  EXPECT_EQ(c.examples[0].label, "greet");
  EXPECT_EQ(c.examples[0].locale, "en");
}

TEST_F(CorpusTest, MassiveUnlabelledFile) {
  std::string path = write("u.jsonl", "{\"utt\": \"one\"}\n"
                                      "{\"utt\": \"two\", \"intent\": null}\n");
  Corpus c = readCorpus(path);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_FALSE(c.labelled());
  EXPECT_TRUE(c.labels().empty());

  ReadOptions options;
  options.requireLabels = true;
  EXPECT_ERROR(readCorpus(path, options), "u.jsonl: the corpus has no labels",
               "\"intent\"");
}

TEST_F(CorpusTest, MassiveBomCrlfAndBlankLines) {
  std::string path =
      write("c.jsonl", "\xEF\xBB\xBF{\"utt\": \"a\", \"intent\": \"x\"}\r\n"
                       "\r\n"
                       "   \n"
                       "{\"utt\": \"b\", \"intent\": \"y\"}\r\n");
  Corpus c = readCorpus(path);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.examples[0].text, "a");
  EXPECT_EQ(c.examples[1].line, 4u);
  EXPECT_EQ(c.blankLines, 2u);
}

TEST_F(CorpusTest, MassiveErrors) {
  const char *expected =
      "expected a JSON object with string fields \"utt\" and \"intent\"";
  const std::string good = "{\"utt\": \"a\", \"intent\": \"x\"}\n";
  EXPECT_ERROR(readCorpus(write("m.jsonl", good + "{\"utt\": \"a\",\n")),
               "m.jsonl:2: malformed JSON at column", expected);
  EXPECT_ERROR(readCorpus(write("m.jsonl", good + "{\"utt\": 1e999}\n")),
               "m.jsonl:2: malformed JSON (number overflow", expected);
  EXPECT_ERROR(readCorpus(write("m.jsonl", good + "[1, 2]\n")),
               "m.jsonl:2: found an array", expected);
  EXPECT_ERROR(readCorpus(write("m.jsonl", good + "{\"intent\": \"x\"}\n")),
               "m.jsonl:2: field \"utt\" is missing", expected);
  EXPECT_ERROR(
      readCorpus(write("m.jsonl", good + "{\"utt\": \"a\", \"intent\": 3}\n")),
      "m.jsonl:2: field \"intent\" is a number", expected);
  EXPECT_ERROR(readCorpus(write("m.jsonl", good + "{\"utt\": \"a\", "
                                                  "\"intent\": \"x\", "
                                                  "\"locale\": [1]}\n")),
               "m.jsonl:2: field \"locale\" is an array");
  EXPECT_ERROR(
      readCorpus(write("m.jsonl", good + "{\"utt\": \" \", \"intent\": "
                                         "\"x\"}\n")),
      "m.jsonl:2: empty utterance in field \"utt\"");
  EXPECT_ERROR(
      readCorpus(write("m.jsonl", good + "{\"utt\": \"b\", \"intent\": "
                                         "\"\"}\n")),
      "m.jsonl:2: empty label in field \"intent\"");
  // A labelled file with one record lacking the label.
  EXPECT_ERROR(readCorpus(write("m.jsonl", good + good + "{\"utt\": \"b\"}\n")),
               "m.jsonl:3: field \"intent\" is missing",
               "expected every line to carry a label");
}

TEST_F(CorpusTest, MassiveSkipBadLines) {
  std::string path = write("s.jsonl", "{\"utt\": \"a\", \"intent\": \"x\"}\n"
                                      "not json\n"
                                      "{\"utt\": \"b\", \"intent\": \"y\"}\n"
                                      "{\"utt\": \"\", \"intent\": \"y\"}\n"
                                      "{\"utt\": \"c\"}\n"
                                      "{\"utt\": \"d\", \"intent\": \"z\"}\n");
  Corpus c = readCorpus(path, skipping());
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.examples[2].text, "d");
  EXPECT_EQ(c.skippedLines, 3u);
  ASSERT_EQ(c.skipMessages.size(), 3u);
  EXPECT_NE(c.skipMessages[0].find("s.jsonl:2: malformed JSON"),
            std::string::npos);
  EXPECT_NE(c.skipMessages[1].find("s.jsonl:4: empty utterance"),
            std::string::npos);
  EXPECT_NE(c.skipMessages[2].find("s.jsonl:5: field \"intent\" is missing"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// CSV and TSV with a header
//===----------------------------------------------------------------------===//

TEST_F(CorpusTest, CsvRfc4180Quoting) {
  std::string path = write("q.csv", "text,label\n"
                                    "\"hello, world\",greet\n"
                                    "\"say \"\"hi\"\"\",greet\n"
                                    "\"two\nlines\",multi\n"
                                    "plain text , spaced \n"
                                    "x,\"\"\"quoted label\"\"\"\n"
                                    "last,row");
  Corpus c = readCorpus(path);
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c.examples[0].text, "hello, world");
  EXPECT_EQ(c.examples[1].text, "say \"hi\"");
  EXPECT_EQ(c.examples[2].text, "two\nlines");
  EXPECT_EQ(c.examples[2].label, "multi");
  EXPECT_EQ(c.examples[3].text, "plain text");
  EXPECT_EQ(c.examples[3].label, "spaced");
  EXPECT_EQ(c.examples[4].label, "\"quoted label\"");
  EXPECT_EQ(c.examples[5].text, "last");
  // Line numbers count the newline inside the quoted field.
  EXPECT_EQ(c.examples[2].line, 4u);
  EXPECT_EQ(c.examples[3].line, 6u);
  EXPECT_EQ(c.examples[5].line, 8u);
}

TEST_F(CorpusTest, CsvCrlfAndBom) {
  std::string path = write("crlf.csv", "\xEF\xBB\xBFtext,label\r\n"
                                       "\"a\r\nb\",x\r\n"
                                       "\r\n"
                                       "c,y\r\n");
  Corpus c = readCorpus(path);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.examples[0].text, "a\nb"); // quoted CRLF becomes LF
  EXPECT_EQ(c.examples[0].label, "x");
  EXPECT_EQ(c.examples[1].text, "c");
  EXPECT_EQ(c.examples[1].label, "y");
  EXPECT_EQ(c.examples[1].line, 5u);
  EXPECT_EQ(c.blankLines, 1u);
}

TEST_F(CorpusTest, CsvRenamedAndOptionalColumns) {
  std::string path =
      write("r.csv", "id,utterance,locale,intent,partition\n"
                     "1,book a table,en-GB,restaurant,train\n"
                     "2,reserva una mesa,es-ES,restaurant,test\n");
  ReadOptions options;
  options.textColumn = "utterance";
  options.labelColumn = "intent";
  Corpus c = readCorpus(path, options);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.examples[1].text, "reserva una mesa");
  EXPECT_EQ(c.examples[1].label, "restaurant");
  EXPECT_EQ(c.examples[1].locale, "es-ES");
  EXPECT_EQ(c.examples[1].partition, "test");
}

TEST_F(CorpusTest, CsvUnlabelled) {
  std::string path = write("u.csv", "id,text\n1,hello\n2,bye\n");
  Corpus c = readCorpus(path);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_FALSE(c.labelled());
  EXPECT_EQ(c.examples[0].label, "");

  ReadOptions options;
  options.requireLabels = true;
  EXPECT_ERROR(readCorpus(path, options), "u.csv:1: missing column \"label\"",
               "found: id, text");
}

TEST_F(CorpusTest, CsvErrors) {
  EXPECT_ERROR(readCorpus(write("e.csv", "utt,label\nhi,x\n")),
               "e.csv:1: missing column \"text\" in the header",
               "expected a header row naming a \"text\" column",
               "found: utt, label");
  ReadOptions renamed;
  renamed.labelColumn = "intent";
  EXPECT_ERROR(readCorpus(write("e.csv", "text,label\nhi,x\n"), renamed),
               "e.csv:1: missing column \"intent\"");
  EXPECT_ERROR(readCorpus(write("e.csv", "text,label,text\nhi,x,y\n")),
               "e.csv:1: column \"text\" appears twice");
  EXPECT_ERROR(readCorpus(write("e.csv", "text,label\nhi,x\na,b,c\n")),
               "e.csv:3: expected 2 comma-separated fields as in the header, "
               "found 3");
  EXPECT_ERROR(readCorpus(write("e.csv", "text,label\nhi,x\n\"open,x\nmore\n")),
               "e.csv:3: unterminated quoted field 1",
               "expected a closing '\"'");
  // Even under skipBadLines: there is no line left to resume at.
  EXPECT_ERROR(
      readCorpus(write("e.csv", "text,label\nhi,x\nok,\"open\n"), skipping()),
      "e.csv:3: unterminated quoted field 2");
  EXPECT_ERROR(readCorpus(write("e.csv", "text,label\n\"hi\"there,x\n")),
               "e.csv:2: unexpected text after the closing quote of field 1",
               "expected ',' or the end of the line");
  EXPECT_ERROR(readCorpus(write("e.csv", "text,label\nhi,x\n  ,y\n")),
               "e.csv:3: empty utterance in column \"text\"");
  EXPECT_ERROR(readCorpus(write("e.csv", "text,label\nhi,x\nho,\n")),
               "e.csv:3: empty label in column \"label\"");
  EXPECT_ERROR(readCorpus(write("e.csv", "\"text,label\nhi,x\n")),
               "e.csv:1: in the header row: unterminated quoted field");
}

TEST_F(CorpusTest, CsvSkipBadLines) {
  std::string path = write("s.csv", "text,label\n"
                                    "a,x\n"
                                    "b,x,extra\n"
                                    "\"c\"d,x\n"
                                    "e,y\n");
  Corpus c = readCorpus(path, skipping());
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.examples[1].text, "e");
  EXPECT_EQ(c.examples[1].line, 5u);
  EXPECT_EQ(c.skippedLines, 2u);
}

TEST_F(CorpusTest, TsvWithHeader) {
  std::string path = write("t.tsv", "label\ttext\tlocale\n"
                                    "greet\thello, \"world\"\ten\r\n"
                                    "bye\tsee you\tfr\n");
  Corpus c = readCorpus(path);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.examples[0].text, "hello, \"world\""); // no quoting in TSV
  EXPECT_EQ(c.examples[0].label, "greet");
  EXPECT_EQ(c.examples[1].locale, "fr");

  EXPECT_ERROR(readCorpus(write("t.tsv", "text\tlabel\na\tb\nc\n")),
               "t.tsv:3: expected 2 tab-separated fields as in the header, "
               "found 1");
  EXPECT_ERROR(readCorpus(write("t.txt", "label\tutt\nx\thi\n"),
                          withFormat(CorpusFormat::Tsv)),
               "t.txt:1: missing column \"text\"");
}

//===----------------------------------------------------------------------===//
// Schuster et al. 2019 TSV
//===----------------------------------------------------------------------===//

TEST_F(CorpusTest, SchusterColumnsLocaleAndPartition) {
  const char *rows = "alarm/set_alarm\t0:3:datetime\tpon una alarma "
                     "\tes_XX\t{\"tokenizations\": []}\n"
                     "weather/find\t\tva a llover\tes_XX\t{}\r\n";
  std::string train = write("train-es.tsv", rows);
  Corpus c = readCorpus(train);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.examples[0].text, "pon una alarma"); // trailing space stripped
  EXPECT_EQ(c.examples[0].label, "alarm/set_alarm");
  EXPECT_EQ(c.examples[0].locale, "es");
  EXPECT_EQ(c.examples[0].partition, "train");
  EXPECT_EQ(c.examples[1].label, "weather/find");

  EXPECT_EQ(
      readCorpus(write("eval-th.tsv", "alarm/show_alarms\t\tx\tth_TH\t{}\n"))
          .examples[0]
          .partition,
      "dev");
  Corpus th =
      readCorpus(write("test-th.tsv", "alarm/show_alarms\t\tx\tth_TH\t{}\n"));
  EXPECT_EQ(th.examples[0].partition, "test");
  EXPECT_EQ(th.examples[0].locale, "th");
  EXPECT_EQ(readCorpus(write("mine.tsv", rows)).examples[0].partition, "");
}

TEST_F(CorpusTest, SchusterErrors) {
  std::string good = "alarm/set_alarm\t\tset an alarm\ten_XX\t{}\n";
  EXPECT_ERROR(readCorpus(write("x.tsv", good + "a\tb\tc\td\te\tf\n")),
               "x.tsv:2: expected 5 tab-separated columns (label, slots, "
               "utterance, language tag, tokenization), found 6");
  EXPECT_ERROR(readCorpus(write("x.tsv", good + "a\t\t \ten_XX\t{}\n")),
               "x.tsv:2: empty utterance in column 3");
  EXPECT_ERROR(readCorpus(write("x.tsv", good + "\t\thi\ten_XX\t{}\n")),
               "x.tsv:2: empty label in column 1");
  EXPECT_ERROR(
      readCorpus(write("x.txt", "a\tb\n"), withFormat(CorpusFormat::Schuster)),
      "x.txt:1: expected 5 tab-separated columns");
}

//===----------------------------------------------------------------------===//
// CLINC150 JSON
//===----------------------------------------------------------------------===//

const char *kClinc = R"({
    "oos_val": [
        [
            "a show on broadway",
            "oos"
        ]
    ],
    "val": [["what is my balance", "balance"]],
    "train": [
        ["how do i say hi in french", "translate"],
        ["what's my balance", "balance"]
    ],
    "test": [["translate bye", "translate"]],
    "oos_train": [["tell me a joke about cats", "oos"]],
    "oos_test": []
}
)";

TEST_F(CorpusTest, Clinc150SplitsAndOos) {
  std::string path = write("data_full.json", kClinc);
  Corpus c = readCorpus(path);
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c.examples[0].text, "a show on broadway");
  EXPECT_EQ(c.examples[0].label, "oos");
  EXPECT_EQ(c.examples[0].partition, "dev");
  EXPECT_EQ(c.examples[0].line, 3u);
  EXPECT_EQ(c.examples[1].partition, "dev");
  EXPECT_EQ(c.examples[1].line, 8u);
  EXPECT_EQ(c.examples[3].text, "what's my balance");
  EXPECT_EQ(c.examples[3].partition, "train");
  EXPECT_EQ(c.examples[3].line, 11u);
  EXPECT_EQ(c.examples[4].partition, "test");
  EXPECT_EQ(c.examples[5].partition, "train");
  EXPECT_EQ(c.labels(),
            (std::vector<std::string>{"balance", "oos", "translate"}));

  ReadOptions options;
  options.partition = "train";
  EXPECT_EQ(readCorpus(path, options).size(), 3u);

  // A byte order mark and CRLF line ends change nothing but the bytes.
  std::string crlf = "\xEF\xBB\xBF";
  for (const char *p = kClinc; *p; ++p)
    crlf += *p == '\n' ? std::string("\r\n") : std::string(1, *p);
  Corpus c2 = readCorpus(write("crlf.json", crlf));
  ASSERT_EQ(c2.size(), 6u);
  EXPECT_EQ(c2.examples[3].text, "what's my balance");
  EXPECT_EQ(c2.examples[3].line, 11u);
}

TEST_F(CorpusTest, Clinc150Errors) {
  EXPECT_ERROR(readCorpus(write("c.json", "{\n\"train\": [\n[\"a\", \"x\"],\n"
                                          "[\"b\", \"x\", \"y\"]\n]\n}\n")),
               "c.json:4: item 2 of \"train\" holds 3 string(s)",
               "expected an [utterance, intent] pair of strings");
  EXPECT_ERROR(readCorpus(write("c.json", "{\"train\": [[\"a\", 1]]}")),
               "c.json:1: item 1 of \"train\" holds a number");
  EXPECT_ERROR(readCorpus(write("c.json", "{\"train\": [\"a\"]}")),
               "c.json:1: item 1 of \"train\" is a string");
  EXPECT_ERROR(readCorpus(write("c.json", "{\n\"training\": []}")),
               "c.json:2: unexpected key \"training\"",
               "expected the keys train, val, test");
  EXPECT_ERROR(readCorpus(write("c.json", "{\"train\": {}}")),
               "c.json:1: the value of \"train\" is an object",
               "expected a list of [utterance, intent] pairs");
  EXPECT_ERROR(readCorpus(write("c.json", "[]")), "c.json:1: found an array",
               "expected CLINC150's JSON object");
  EXPECT_ERROR(
      readCorpus(write("c.json", "{\n\"train\": [\n[\"a\", \"x\"],\n]\n}")),
      "c.json:4: malformed JSON", "expected CLINC150's JSON object");
  EXPECT_ERROR(readCorpus(write("c.json", "{\"train\": [], \"train\": []}")),
               "c.json:1: key \"train\" appears twice");
  EXPECT_ERROR(readCorpus(write("c.json", "{\"train\": [[\" \", \"x\"]]}")),
               "c.json:1: empty utterance in the utterance of item 1 of "
               "\"train\"");

  Corpus c = readCorpus(
      write("c.json", "{\"train\": [[\"a\", \"x\"], [\"b\"], {\"k\": 1}, 7, "
                      "[[\"n\"], \"m\"], [\"c\", \"y\"]]}"),
      skipping());
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.examples[1].text, "c");
  EXPECT_EQ(c.skippedLines, 4u);
}

//===----------------------------------------------------------------------===//
// Plain text
//===----------------------------------------------------------------------===//

TEST_F(CorpusTest, TextOneUtterancePerLine) {
  std::string path = write(
      "u.txt", "\xEF\xBB\xBF  turn on the lights \r\n\r\n\n\t\nplay music");
  ReadOptions options;
  options.defaultLocale = "en-US";
  Corpus c = readCorpus(path, options);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.examples[0].text, "turn on the lights");
  EXPECT_EQ(c.examples[0].label, "");
  EXPECT_EQ(c.examples[0].locale, "en-US");
  EXPECT_EQ(c.examples[1].text, "play music");
  EXPECT_EQ(c.examples[1].line, 5u);
  EXPECT_EQ(c.blankLines, 3u);
  EXPECT_EQ(c.skippedLines, 0u);
  EXPECT_FALSE(c.labelled());

  options.requireLabels = true;
  EXPECT_ERROR(readCorpus(path, options), "u.txt: the corpus has no labels");
}

//===----------------------------------------------------------------------===//
// Format names and detection
//===----------------------------------------------------------------------===//

TEST_F(CorpusTest, FormatNames) {
  for (CorpusFormat f :
       {CorpusFormat::Auto, CorpusFormat::Massive, CorpusFormat::Csv,
        CorpusFormat::Tsv, CorpusFormat::Schuster, CorpusFormat::Clinc150,
        CorpusFormat::Text})
    EXPECT_EQ(parseCorpusFormat(corpusFormatName(f)), f);
  EXPECT_EQ(parseCorpusFormat("jsonl"), CorpusFormat::Massive);
  EXPECT_EQ(parseCorpusFormat("txt"), CorpusFormat::Text);
  EXPECT_ERROR(parseCorpusFormat("yaml"), "unknown corpus format \"yaml\"",
               "expected one of auto, massive");
}

TEST_F(CorpusTest, DetectsFormats) {
  EXPECT_EQ(detectCorpusFormat(write("a.jsonl", kMassive)),
            CorpusFormat::Massive);
  EXPECT_EQ(detectCorpusFormat(write("a.json", kClinc)),
            CorpusFormat::Clinc150);
  EXPECT_EQ(detectCorpusFormat(write("m.json", "{\"val\": [[\"a\", \"b\"]]}")),
            CorpusFormat::Clinc150);
  // JSON Lines saved as .json.
  EXPECT_EQ(detectCorpusFormat(write("b.json", kMassive)),
            CorpusFormat::Massive);
  EXPECT_EQ(detectCorpusFormat(write("a.CSV", "text\nx\n")), CorpusFormat::Csv);
  EXPECT_EQ(detectCorpusFormat(write("a.txt", "hello\n")), CorpusFormat::Text);
  EXPECT_EQ(detectCorpusFormat(write("h.tsv", "\xEF\xBB\xBFlabel\ttext\n")),
            CorpusFormat::Tsv);
  EXPECT_EQ(detectCorpusFormat(write("h.tsv", "label\tutt\n"), "utt"),
            CorpusFormat::Tsv);
  EXPECT_EQ(detectCorpusFormat(write("s.tsv", "a\tb\tc\td\te\n")),
            CorpusFormat::Schuster);
  EXPECT_ERROR(detectCorpusFormat(write("bad.tsv", "a\tb\tc\n")),
               "bad.tsv:1: cannot tell the layout of this TSV file",
               "found 3 column(s)");
  EXPECT_ERROR(detectCorpusFormat(write("empty.tsv", "")),
               "empty.tsv: the file is empty");
  EXPECT_ERROR(detectCorpusFormat(write("data.xml", "<x/>")),
               "cannot tell the format of", "data.xml",
               "expected .jsonl, .json, .csv, .tsv or .txt");
  EXPECT_ERROR(detectCorpusFormat(write("noext", "x")),
               "cannot tell the format of");
  // An explicit format wins over the extension.
  Corpus c =
      readCorpus(write("x.data", "hello\n"), withFormat(CorpusFormat::Text));
  EXPECT_EQ(c.size(), 1u);
}

//===----------------------------------------------------------------------===//
// Errors common to every format
//===----------------------------------------------------------------------===//

TEST_F(CorpusTest, MissingFileAndDirectory) {
  std::string missing = (dir / "none.jsonl").string();
  std::string noFile = "cannot open " + missing + ": No such file or directory";
  EXPECT_ERROR(readCorpus(missing), noFile.c_str());
  std::string isDir = "cannot read " + dir.string() + ": Is a directory";
  EXPECT_ERROR(readCorpus(dir.string(), withFormat(CorpusFormat::Text)),
               isDir.c_str());
}

TEST_F(CorpusTest, EmptyFiles) {
  EXPECT_ERROR(readCorpus(write("e.txt", "")), "e.txt: no utterances found");
  EXPECT_ERROR(readCorpus(write("e.csv", "text,label\n")),
               "e.csv: no utterances found");
  EXPECT_ERROR(readCorpus(write("e.jsonl", "\n\n")),
               "e.jsonl: no utterances found");
  EXPECT_ERROR(readCorpus(write("e.jsonl", "[]\n"), skipping()),
               "e.jsonl: no utterances found (read as massive); 1 bad line(s) "
               "skipped");
}

TEST_F(CorpusTest, InvalidUtf8) {
  // Offsets count from the start of the file, byte order mark included.
  EXPECT_ERROR(
      readCorpus(write("b.jsonl", "{\"utt\": \"a\", \"intent\": \"x\"}\n"
                                  "{\"utt\": \"a\xff\", \"intent\": \"x\"}\n")),
      "b.jsonl:2: invalid UTF-8 at byte offset 38", "expected UTF-8 text");
  EXPECT_ERROR(readCorpus(write("b.txt", "\xEF\xBB\xBFok\nab\xc0\xaf\n")),
               "b.txt:2: invalid UTF-8 at byte offset 8");
  // Inside a multi-line CSV record, the line is the byte's own line.
  EXPECT_ERROR(
      readCorpus(write("b.csv", "text,label\n\"a\nb\xed\xa0\x80\",x\n")),
      "b.csv:3: invalid UTF-8 at byte offset 15");
  EXPECT_ERROR(readCorpus(write("b.csv", "te\xffxt,label\na,b\n"), skipping()),
               "b.csv:1: invalid UTF-8 at byte offset 2");
  EXPECT_ERROR(
      readCorpus(write("b.json", "{\n\"train\": [[\"\xfe\", \"x\"]]}")),
      "b.json:2: invalid UTF-8 at byte offset 14");
  EXPECT_ERROR(readCorpus(write("train-en.tsv", "l\t\tx\xff\ten_XX\t{}\n")),
               "train-en.tsv:1: invalid UTF-8 at byte offset 4");

  Corpus c = readCorpus(write("s.txt", "good\nbad\xff\nfine\n"), skipping());
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.skippedLines, 1u);
  ASSERT_EQ(c.skipMessages.size(), 1u);
  EXPECT_NE(c.skipMessages[0].find("s.txt:2: invalid UTF-8 at byte offset 8"),
            std::string::npos);
}

TEST_F(CorpusTest, SkipMessagesAreCapped) {
  std::string text = "{\"utt\": \"a\", \"intent\": \"x\"}\n";
  for (int i = 0; i < 100; ++i)
    text += "{\n";
  Corpus c = readCorpus(write("many.jsonl", text), skipping());
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.skippedLines, 100u);
  EXPECT_EQ(c.skipMessages.size(), Corpus::kMaxSkipMessages);
}

//===----------------------------------------------------------------------===//
// Several files, label index
//===----------------------------------------------------------------------===//

TEST_F(CorpusTest, ReadCorporaMergesFiles) {
  std::string a = write("a.jsonl", kMassive);
  std::string b = write("b.csv", "text,label,partition\nhola,greet,train\n");
  Corpus c = readCorpora({a, b});
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c.paths, (std::vector<std::string>{a, b}));
  EXPECT_EQ(c.examples[3].source, 1u);
  EXPECT_EQ(c.where(c.examples[3]), b + ":2");

  ReadOptions options;
  options.partition = "train";
  Corpus train = readCorpora({a, b}, options);
  ASSERT_EQ(train.size(), 2u);
  EXPECT_EQ(train.examples[1].text, "hola");

  options.partition = "dev";
  EXPECT_EQ(readCorpora({a, b}, options).size(), 1u);
  EXPECT_ERROR(readCorpora({}), "no corpus files given");
  std::string t = write("t.txt", "x\n");
  options.partition = "train";
  EXPECT_ERROR(readCorpus(t, options), "t.txt: no examples in partition "
                                       "\"train\"; the data gives no "
                                       "partitions");
}

TEST_F(CorpusTest, LabelIndex) {
  std::string path = write("l.csv", "text,label\na,zeta\nb,alpha\nc,zeta\n");
  Corpus c = readCorpus(path);
  LabelIndex index = LabelIndex::fromCorpus(c);
  EXPECT_EQ(index.names(), (std::vector<std::string>{"alpha", "zeta"}));
  EXPECT_EQ(index.id("zeta"), 1u);
  EXPECT_EQ(index.name(0), "alpha");
  EXPECT_FALSE(index.find("beta"));
  EXPECT_EQ(index.ids(c), (std::vector<size_t>{1, 0, 1}));

  EXPECT_ERROR(index.id("beta"), "unknown label \"beta\"",
               "expected one of the 2 known labels");
  EXPECT_ERROR(index.name(2), "label id 2 is out of range");
  EXPECT_ERROR(LabelIndex({"a", "b", "a"}), "label \"a\" appears twice");
  EXPECT_ERROR(LabelIndex({"a", ""}), "empty label name at position 1");

  LabelIndex small({"zeta"});
  std::string unknown = path + ":3: unknown label \"alpha\"";
  EXPECT_ERROR(small.ids(c), unknown.c_str());
  EXPECT_EQ(small.add("alpha"), 1u);
  EXPECT_EQ(small.add("zeta"), 0u);
  EXPECT_EQ(small.ids(c), (std::vector<size_t>{0, 1, 0}));

  Corpus unlabelled = readCorpus(write("u.txt", "hi\n"));
  EXPECT_ERROR(small.ids(unlabelled), "u.txt:1: the utterance has no label");
}

//===----------------------------------------------------------------------===//
// Arbitrary bytes never crash a reader
//===----------------------------------------------------------------------===//

TEST_F(CorpusTest, ArbitraryBytesNeverCrash) {
  const std::vector<std::string> seeds = {
      kMassive,
      kClinc,
      "text,label\n\"a,\"\"b\"\"\",x\nc,d\n",
      "a\t\tb \ten_XX\t{}\n",
      "label\ttext\nx\ty\n",
      "one\ntwo\n"};
  const char alphabet[] = "{}[]\",:\\\n\r\t \x00\xff\xc3\xa9\xef\xbb\xbf"
                          "aut0";
  std::mt19937 rng(12345);
  int reads = 0;
  for (int round = 0; round < 400; ++round) {
    std::string bytes = seeds[round % seeds.size()];
    // Mutate a valid file a little, or replace it with noise.
    size_t edits = 1 + rng() % 8;
    for (size_t e = 0; e < edits; ++e) {
      size_t at = bytes.empty() ? 0 : rng() % bytes.size();
      char c = round % 5 == 0 ? static_cast<char>(rng())
                              : alphabet[rng() % (sizeof(alphabet) - 1)];
      switch (rng() % 3) {
      case 0:
        bytes.insert(bytes.begin() + at, c);
        break;
      case 1:
        if (!bytes.empty())
          bytes[at] = c;
        break;
      default:
        if (!bytes.empty())
          bytes.erase(bytes.begin() + at);
        break;
      }
    }
    std::string path = write("fuzz", bytes);
    for (CorpusFormat f :
         {CorpusFormat::Massive, CorpusFormat::Csv, CorpusFormat::Tsv,
          CorpusFormat::Schuster, CorpusFormat::Clinc150, CorpusFormat::Text}) {
      for (bool skip : {false, true}) {
        ReadOptions options = withFormat(f);
        options.skipBadLines = skip;
        try {
          Corpus c = readCorpus(path, options);
          for (const Example &e : c.examples)
            ASSERT_FALSE(e.text.empty());
          ++reads;
        } catch (const Error &) {
        }
      }
    }
  }
  EXPECT_GT(reads, 0);

  // Deeply nested JSON must not exhaust the stack.
  std::string deep(200000, '[');
  EXPECT_ERROR(readCorpus(write("deep.json", "{\"train\": " + deep)),
               "deep.json:1:");
  EXPECT_ERROR(readCorpus(write("deep.jsonl", deep + "\n")), "deep.jsonl:1:");
  EXPECT_ERROR(readCorpus(write("deep2.jsonl", "{\"utt\": " + deep + "\n")),
               "deep2.jsonl:1:");
}

//===----------------------------------------------------------------------===//
// The reference corpora in shared/data (see each folder's SOURCE.md)
//===----------------------------------------------------------------------===//

using kdc::unittest::sharedDataDir;

std::map<std::string, size_t> countByPartition(const Corpus &c) {
  std::map<std::string, size_t> counts;
  for (const Example &e : c.examples)
    ++counts[e.partition];
  return counts;
}

TEST(CorpusRealData, Massive) {
  std::string path = sharedDataDir() + "/massive/en-US.jsonl";
  if (sharedDataDir().empty() || !fs::exists(path))
    GTEST_SKIP() << "no " << path;
  Corpus c = readCorpus(path);
  EXPECT_EQ(c.size(), 16521u);
  EXPECT_EQ(countByPartition(c),
            (std::map<std::string, size_t>{
                {"train", 11514}, {"dev", 2033}, {"test", 2974}}));
  EXPECT_EQ(c.labels().size(), 60u);
  EXPECT_EQ(c.locales(), std::vector<std::string>{"en-US"});
  EXPECT_EQ(c.skippedLines, 0u);
  EXPECT_EQ(c.blankLines, 0u);
  EXPECT_EQ(c.examples[0].text, "wake me up at five am this week");
  EXPECT_EQ(c.examples[0].label, "alarm_set");

  ReadOptions options;
  options.partition = "train";
  EXPECT_EQ(readCorpus(path, options).size(), 11514u);
}

TEST(CorpusRealData, Clinc150) {
  std::string path = sharedDataDir() + "/clinc150/data_full.json";
  if (sharedDataDir().empty() || !fs::exists(path))
    GTEST_SKIP() << "no " << path;
  Corpus c = readCorpus(path);
  EXPECT_EQ(c.size(), 23700u);
  // train 15,000 + oos_train 100, val 3,000 + oos_val 100, test 4,500 +
  // oos_test 1,000.
  EXPECT_EQ(countByPartition(c),
            (std::map<std::string, size_t>{
                {"train", 15100}, {"dev", 3100}, {"test", 5500}}));
  std::vector<std::string> labels = c.labels();
  EXPECT_EQ(labels.size(), 151u); // 150 intents + oos
  EXPECT_TRUE(std::binary_search(labels.begin(), labels.end(), "oos"));
  size_t oos = 0;
  for (const Example &e : c.examples)
    oos += e.label == "oos";
  EXPECT_EQ(oos, 1200u);
  EXPECT_EQ(c.skippedLines, 0u);
}

TEST(CorpusRealData, Schuster2019) {
  std::string root = sharedDataDir() + "/schuster2019-multilingual-tod";
  if (sharedDataDir().empty() || !fs::exists(root))
    GTEST_SKIP() << "no " << root;
  struct Expected {
    const char *file;
    size_t utterances;
    size_t intents;
    const char *locale;
    const char *partition;
  };
  const Expected files[] = {
      {"en/eval-en.tsv", 4181, 12, "en", "dev"},
      {"en/test-en.tsv", 8621, 12, "en", "test"},
      {"es/train-es.tsv", 3616, 12, "es", "train"},
      {"es/eval-es.tsv", 1983, 11, "es", "dev"},
      {"es/test-es.tsv", 3043, 11, "es", "test"},
      {"th/train-th.tsv", 2156, 10, "th", "train"},
      {"th/eval-th.tsv", 1235, 10, "th", "dev"},
      {"th/test-th.tsv", 1692, 10, "th", "test"},
  };
  std::vector<std::string> all;
  size_t total = 0;
  for (const Expected &e : files) {
    SCOPED_TRACE(e.file);
    std::string path = root + "/" + e.file;
    all.push_back(path);
    Corpus c = readCorpus(path);
    EXPECT_EQ(c.size(), e.utterances);
    EXPECT_EQ(c.labels().size(), e.intents);
    EXPECT_EQ(c.locales(), std::vector<std::string>{e.locale});
    EXPECT_EQ(c.partitions(), std::vector<std::string>{e.partition});
    EXPECT_EQ(c.skippedLines, 0u);
    for (const Example &x : c.examples)
      ASSERT_EQ(x.text.back() != ' ', true) << c.where(x);
    total += e.utterances;
  }
  Corpus merged = readCorpora(all);
  EXPECT_EQ(merged.size(), total);
  EXPECT_EQ(merged.labels().size(), 12u);
}

} // namespace
