// Note HTML: unsafe markup is neutralised (never kept, never executable), Ashby's allowed tags and
// safe links survive, plain text is escaped with its line breaks.
#include <gtest/gtest.h>

#include "ashby/html.hpp"
#include "ashby/render.hpp"

namespace atsm::ashby {
namespace {

TEST(AshbyHtml, EscapesPlainTextAndKeepsLineBreaks) {
  EXPECT_EQ(escape_html("a < b & \"c\" > 'd'\nnext line"),
            "a &lt; b &amp; &quot;c&quot; &gt; &#39;d&#39;\nnext line");
}

TEST(AshbyHtml, DropsScriptsStylesAndEventHandlers) {
  std::string html = sanitize_html(
      "<p onclick=\"steal()\">Hello <b style=\"color:red\" onmouseover=\"x()\">there</b></p>"
      "<script>alert('x')</script><style>p{}</style><img src=x onerror=\"alert(1)\">"
      "<iframe src=\"https://evil.example\">frame text</iframe>");
  EXPECT_EQ(html, "Hello <b>there</b>");
  for (const char* unsafe :
       {"script", "alert", "onclick", "onerror", "style", "iframe", "img", "steal", "onmouseover"})
    EXPECT_EQ(html.find(unsafe), std::string::npos) << unsafe << " in " << html;
}

TEST(AshbyHtml, KeepsAllowedTagsAndOnlyHttpLinks) {
  std::string html = sanitize_html(
      "<ul><li><strong>Strong</strong></li><li><em>em</em> <u>u</u> <code>x</code></li></ul>"
      "<a href=\"https://ok.example/a?b=1&amp;c=2\" target=\"_blank\">ok</a>"
      "<a href=\"javascript:alert(1)\">bad</a><a href=\" JaVaScRiPt:alert(1)\">bad2</a>"
      "<a href=\"data:text/html,x\">data</a>");
  EXPECT_EQ(html,
            "<ul><li><b>Strong</b></li><li><i>em</i> <u>u</u> <code>x</code></li></ul>"
            "<a href=\"https://ok.example/a?b=1&amp;c=2\">ok</a><a>bad</a><a>bad2</a><a>data</a>");
}

TEST(AshbyHtml, UnknownTagsBecomeTheirTextAndTextIsEscaped) {
  EXPECT_EQ(sanitize_html("<h1>Title</h1><div>one<br>two</div><span>&lt;script&gt;</span>"),
            "Title\none\ntwo\n&lt;script&gt;");
  EXPECT_EQ(sanitize_html("<!-- hidden --><pre>  kept  </pre>"), "<pre>  kept  </pre>");
  EXPECT_EQ(sanitize_html("unclosed <b>bold"), "unclosed <b>bold</b>");
}

TEST(AshbyRender, LeverNotePlainTextIsEscapedUnderAHeadingWithAuthorAndTime) {
  model::Note note;
  note.source = "lever";
  note.source_key = "lever:note:1";
  note.person_key = "lever:contact:1";
  note.author_name = "Jane Doe";
  note.created_at = "2019-03-04T14:02:00Z";
  note.body = "<script>alert(1)</script>\nsecond line";
  std::string html = note_html(note, "0123456789abcdef");
  EXPECT_EQ(html,
            "<b>Lever note</b> — Jane Doe, 2019-03-04 14:02 UTC\n"
            "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line\n"
            "<i>atsmigrate ref 0123456789abcdef</i>");
}

// What a reader sees: paragraphs a blank line apart, line breaks, list items on their own lines
// (nested ones indented, ordered ones numbered), <pre> as written, emphasis gone.
TEST(AshbyHtml, RenderedTextKeepsParagraphsLineBreaksAndLists) {
  RenderedText rendered = render_text(
      "<p>a  <b>bold</b>\n word</p><p>b<br>c</p><ul><li>x<ul><li>y</li></ul></li></ul>"
      "<ol><li>one</li><li>two</li></ol><pre>k  1\nk2</pre>"
      "<a href=\"https://ex.example\">site</a> <a href=\"javascript:x()\">bad</a>");
  EXPECT_EQ(rendered.text, "a bold word\n\nb\nc\n\n• x\n  • y\n1. one\n2. two\nk  1\nk2\nsite bad");
  EXPECT_EQ(rendered.links,
            (std::vector<std::pair<std::string, std::string>>{{"site", "https://ex.example"}}));
}

// Composed notes: text/html when Ashby's lists carry every line (no \n is sent), else text/plain.
TEST(AshbyRender, ComposedNotesGoAsHtmlOnlyWhenListsCarryEveryLine) {
  NoteContent listed =
      composed_note_content("<b>H</b> — x\n<ul><li>a</li><li>b</li></ul>\n<i>ref</i>");
  EXPECT_FALSE(listed.plain_text);
  EXPECT_EQ(listed.value, "<b>H</b> — x <ul><li>a</li><li>b</li></ul> <i>ref</i>");
  NoteContent lines = composed_note_content("<b>H</b>\nline one\nline &amp; two\n<i>ref</i>");
  EXPECT_TRUE(lines.plain_text);
  EXPECT_EQ(lines.value, "H\nline one\nline & two\nref");
}

TEST(AshbyRender, ReferenceHashIsStablePerKeyAndPurpose) {
  EXPECT_EQ(reference_hash("lever:note:1", "note"), reference_hash("lever:note:1", "note"));
  EXPECT_NE(reference_hash("lever:note:1", "note"), reference_hash("lever:note:2", "note"));
  EXPECT_NE(reference_hash("lever:note:1", "note"), reference_hash("lever:note:1", "profile"));
  EXPECT_EQ(reference_hash("k", "p").size(), 16u);
}

TEST(AshbyRender, FeedbackScoreFromTheRecommendationElseTheOverallRating) {
  model::Feedback feedback;
  model::FeedbackField thumbs{
      "Thumbs", model::FeedbackFieldType::score, boost::json::value(4), {}, {}, {}, {}};
  model::FeedbackField rating{
      "Rating", model::FeedbackFieldType::rating, boost::json::value("2 - No Hire"), {}, {}, {},
      {}};
  feedback.fields = {thumbs};
  EXPECT_FALSE(feedback_score(feedback).has_value());
  feedback.fields.push_back(rating);
  EXPECT_EQ(feedback_score(feedback), 2);
  feedback.recommendation = model::Recommendation::strong_yes;
  EXPECT_EQ(feedback_score(feedback), 4);
  feedback.recommendation = model::Recommendation::no_decision;
  EXPECT_FALSE(feedback_score(feedback).has_value());
}

TEST(AshbyRender, LocationsSplitIntoCityRegionCountry) {
  auto three = parse_location("San Francisco, CA, USA");
  EXPECT_EQ(three.city, "San Francisco");
  EXPECT_EQ(three.region, "CA");
  EXPECT_EQ(three.country, "USA");
  auto one = parse_location(" Berlin ");
  EXPECT_EQ(one.city, "Berlin");
  EXPECT_TRUE(one.region.empty());
  EXPECT_TRUE(parse_location(" , ").city.empty());
}

}  // namespace
}  // namespace atsm::ashby
