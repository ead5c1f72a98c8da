// download_mismatch: cases worked out by hand from what a vendor may answer 200 with.
#include <gtest/gtest.h>

#include <atsmigrate/model/download_check.hpp>

namespace {

using atsm::model::DeclaredFile;
using atsm::model::download_mismatch;
using atsm::model::DownloadedFile;

const std::string kPdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj";

TEST(DownloadCheck, TheDeclaredFileIsAccepted) {
  EXPECT_FALSE(download_mismatch({"cv.pdf", 2048}, {2048, "application/pdf", kPdf}));
  // Nothing declared but a name: any non-HTML bytes may be the file.
  EXPECT_FALSE(download_mismatch({"notes.txt", std::nullopt}, {12, "text/plain", "hello there\n"}));
  // A web page the candidate uploaded is a web page.
  EXPECT_FALSE(download_mismatch({"portfolio.HTML", 40},
                                 {40, "text/html", "<!DOCTYPE html><html>...</html>........"}));
}

TEST(DownloadCheck, AnotherSizeThanDeclaredIsRefused) {
  std::optional<std::string> cut =
      download_mismatch({"cv.pdf", 2048}, {1024, "application/pdf", kPdf});
  ASSERT_TRUE(cut);
  EXPECT_NE(cut->find("1024 bytes where the source declared 2048"), std::string::npos) << *cut;
  EXPECT_TRUE(download_mismatch({"cv.pdf", 2048}, {4096, "application/pdf", kPdf}));
}

TEST(DownloadCheck, AnHtmlPageIsRefusedByTypeOrByItsFirstBytes) {
  EXPECT_TRUE(download_mismatch({"cv.pdf", std::nullopt}, {160, "text/html; charset=utf-8", "x"}));
  EXPECT_TRUE(download_mismatch({"cv.pdf", std::nullopt}, {160, "Application/XHTML+xml", "x"}));
  // Served as bytes, but an HTML document all the same (BOM, blank lines, a comment first).
  for (const std::string head :
       {"<!doctype html><html>", "\xEF\xBB\xBF\n  <HTML lang=en>", "<!-- login -->\n<html>",
        "<head><title>Sign in</title>", "<body>expired</body>"})
    EXPECT_TRUE(download_mismatch({"cv.docx", std::nullopt},
                                  {head.size(), "application/octet-stream", head}))
        << head;
  // Not HTML: XML, a tag-like word, a PDF.
  for (const std::string& head :
       {std::string("<?xml version=\"1.0\"?><w:document>"), std::string("<htmlish>"), kPdf})
    EXPECT_FALSE(download_mismatch({"cv.docx", std::nullopt},
                                   {head.size(), "application/octet-stream", head}))
        << head;
}

}  // namespace
