#include "kdc/runtime/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace {

size_t validate(const std::string &s) {
  return kdc_utf8_validate(s.data(), s.size());
}

TEST(RuntimeUtf8, AcceptsValidText) {
  EXPECT_EQ(validate(""), 0u);
  EXPECT_EQ(validate("set an alarm"), 12u);
  std::string thai = "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94\xe0\xb8\xb5"; // สวัสดี
  EXPECT_EQ(validate(thai), thai.size());
  std::string emoji = "\xf0\x9f\x98\x80";
  EXPECT_EQ(validate(emoji), 4u);
}

TEST(RuntimeUtf8, RejectsInvalidSequencesAtTheirOffset) {
  EXPECT_EQ(validate("ab\xff"), 2u);              // never valid
  EXPECT_EQ(validate("a\xc0\xaf"), 1u);           // overlong '/'
  EXPECT_EQ(validate("\xed\xa0\x80"), 0u);        // surrogate U+D800
  EXPECT_EQ(validate("x\xf4\x90\x80\x80"), 1u);   // above U+10FFFF
  EXPECT_EQ(validate("abc\xe2\x82"), 3u);         // truncated
  EXPECT_EQ(validate("\x80"), 0u);                // lone continuation
}

TEST(RuntimeUtf8, EncodeDecodeRoundTrip) {
  for (uint32_t cp : {0x0u, 0x41u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xE01Bu,
                      0xFFFFu, 0x10000u, 0x10FFFFu}) {
    char buf[4];
    size_t n = kdc_utf8_encode(cp, buf);
    ASSERT_GT(n, 0u);
    uint32_t back = 0;
    ASSERT_EQ(kdc_utf8_decode(buf, n, &back), n);
    EXPECT_EQ(back, cp);
  }
  char buf[4];
  EXPECT_EQ(kdc_utf8_encode(0xD800, buf), 0u);
  EXPECT_EQ(kdc_utf8_encode(0x110000, buf), 0u);
}

} // namespace
