// Note HTML for Ashby, which keeps only <b> <i> <u> <a> <ul> <ol> <li> <code> <pre>
// (docs/vendors/ashby.md §7): plain text is escaped, source HTML is parsed (Gumbo) and rebuilt from
// that set only.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <atsmigrate/model/html.hpp>

namespace atsm::ashby {

// Escapes & < > " ' so text shows as written; line breaks stay as they are.
using model::escape_html;

// Rebuilds `html` from the tags Ashby keeps. <strong>/<em> become <b>/<i>; <a> keeps only an
// http(s) href; script, style and similar elements are dropped with their content; every other
// element is replaced by its text, with a line break after block elements; every attribute but
// a safe href is dropped (no event handlers, no styles).
// `mark_line_ends` false: no line break is written after block elements (a line break in
// text/html is whitespace to Ashby, so structure must come from its lists).
std::string sanitize_html(std::string_view html, bool mark_line_ends = true);

// What a reader sees of a note: its text lines, whitespace collapsed as HTML renders it (kept
// inside <pre>), emphasis gone. A list item is a line "• text" ("1. text" in an <ol>, two spaces
// more per nesting level); <p>, headings, <blockquote> and <table> are paragraphs (a blank line
// apart); <br>, <div> and the other blocks end a line. With `newlines_are_breaks` a line break in
// text is one (HTML the sink composed itself, whose text keeps its own line breaks).
struct RenderedText {
  std::string text;
  // (link text, http(s) target) of every link whose text is not its target, in order.
  std::vector<std::pair<std::string, std::string>> links;
};
RenderedText render_text(std::string_view html, bool newlines_are_breaks = false);

}  // namespace atsm::ashby
