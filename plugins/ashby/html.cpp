#include "html.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace atsm::ashby {
namespace {

bool is_kept(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_B:
    case GUMBO_TAG_I:
    case GUMBO_TAG_U:
    case GUMBO_TAG_A:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_PRE:
      return true;
    default:
      return false;
  }
}

// Elements whose content is code or chrome, never text meant for a reader.
bool is_dropped(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_META:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_INPUT:
      return true;
    default:
      return false;
  }
}

bool ends_line(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_BR:
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
      return true;
    default:
      return false;
  }
}

std::string safe_href(const GumboElement& element) {
  const GumboAttribute* href = gumbo_get_attribute(&element.attributes, "href");
  if (href == nullptr)
    return {};
  std::string url(href->value);
  // Gumbo has decoded entities already; trim and compare the scheme case-insensitively.
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  url.erase(url.begin(), std::find_if(url.begin(), url.end(), not_space));
  url.erase(std::find_if(url.rbegin(), url.rend(), not_space).base(), url.end());
  std::string lower = url.substr(0, 8);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0)
    return url;
  return {};
}

void render(const GumboNode* node, std::string& out, bool mark_line_ends) {
  switch (node->type) {
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_WHITESPACE:
    case GUMBO_NODE_CDATA:
      out += escape_html(node->v.text.text);
      return;
    case GUMBO_NODE_COMMENT:
      return;
    case GUMBO_NODE_DOCUMENT:
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE:
      break;
  }
  const GumboVector* children =
      node->type == GUMBO_NODE_DOCUMENT ? &node->v.document.children : &node->v.element.children;
  if (node->type == GUMBO_NODE_DOCUMENT) {
    for (unsigned i = 0; i < children->length; ++i)
      render(static_cast<const GumboNode*>(children->data[i]), out, mark_line_ends);
    return;
  }
  const GumboElement& element = node->v.element;
  GumboTag tag = element.tag;
  if (tag == GUMBO_TAG_STRONG)
    tag = GUMBO_TAG_B;
  else if (tag == GUMBO_TAG_EM)
    tag = GUMBO_TAG_I;
  if (is_dropped(tag) || node->type == GUMBO_NODE_TEMPLATE)
    return;
  const bool kept = is_kept(tag) && element.tag_namespace == GUMBO_NAMESPACE_HTML;
  std::string name = kept ? gumbo_normalized_tagname(tag) : "";
  if (kept) {
    if (tag == GUMBO_TAG_A) {
      std::string href = safe_href(element);
      out += href.empty() ? "<a>" : "<a href=\"" + escape_html(href) + "\">";
    } else {
      out += "<" + name + ">";
    }
  }
  for (unsigned i = 0; i < element.children.length; ++i)
    render(static_cast<const GumboNode*>(element.children.data[i]), out, mark_line_ends);
  if (kept)
    out += "</" + name + ">";
  else if (ends_line(tag) && !out.empty() && out.back() != '\n')
    out += mark_line_ends ? '\n' : ' ';
}

bool is_paragraph(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_TABLE:
      return true;
    default:
      return false;
  }
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

// Lines of visible text: words are written with one space between them, line and paragraph
// breaks are requested and written before the next word (never at the start or the end).
class TextBuilder {
 public:
  void word(std::string_view text) {
    if (text.empty())
      return;
    if (!out_.empty()) {
      if (breaks_ > 0)
        out_.append(static_cast<size_t>(breaks_), '\n');
      else if (space_)
        out_ += ' ';
    }
    breaks_ = 0;
    space_ = false;
    out_ += text;
  }
  // Text as HTML renders it: every run of whitespace one space.
  void flowing(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
      if (is_space(text[i])) {
        space_ = true;
        ++i;
        continue;
      }
      size_t end = i;
      while (end < text.size() && !is_space(text[end]))
        ++end;
      word(text.substr(i, end - i));
      i = end;
    }
  }
  // Text whose line breaks are breaks (composed notes, <pre>).
  void lines(std::string_view text, bool keep_spaces) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      std::string_view line =
          text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      if (keep_spaces)
        word(line);
      else
        flowing(line);
      if (end == std::string_view::npos)
        break;
      request_break(1);
      start = end + 1;
    }
  }
  void request_break(int count) {
    breaks_ = std::max(breaks_, count);
    space_ = false;
  }
  // A <br> after a <br> is an empty line.
  void line_break() { breaks_ = breaks_ > 0 ? 2 : 1; }
  // A list item's mark starts its line; the item's leading whitespace does not follow it.
  void mark(const std::string& prefix) {
    word(prefix);
    out_.pop_back();  // the prefix ends with a space, written again before the next word
    space_ = true;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  bool space_ = false;
  int breaks_ = 0;
};

struct TextWalk {
  TextBuilder builder;
  RenderedText rendered;
  bool newlines_are_breaks = false;
  int list_depth = 0;

  // The text of an element's children.
  std::string collected(const GumboElement& element) {
    TextWalk inner;
    for (unsigned i = 0; i < element.children.length; ++i)
      inner.walk(static_cast<const GumboNode*>(element.children.data[i]));
    return inner.builder.take();
  }

  void walk(const GumboNode* node, bool in_pre = false) {
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        if (in_pre)
          builder.lines(node->v.text.text, true);
        else if (newlines_are_breaks)
          builder.lines(node->v.text.text, false);
        else
          builder.flowing(node->v.text.text);
        return;
      case GUMBO_NODE_COMMENT:
        return;
      case GUMBO_NODE_DOCUMENT:
        for (unsigned i = 0; i < node->v.document.children.length; ++i)
          walk(static_cast<const GumboNode*>(node->v.document.children.data[i]), in_pre);
        return;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        break;
    }
    const GumboElement& element = node->v.element;
    GumboTag tag = element.tag;
    if (is_dropped(tag) || node->type == GUMBO_NODE_TEMPLATE)
      return;
    auto children = [&](bool pre) {
      for (unsigned i = 0; i < element.children.length; ++i)
        walk(static_cast<const GumboNode*>(element.children.data[i]), pre);
    };
    if (tag == GUMBO_TAG_BR) {
      builder.line_break();
      return;
    }
    if (tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL) {
      builder.request_break(1);
      ++list_depth;
      int number = 0;
      for (unsigned i = 0; i < element.children.length; ++i) {
        const auto* child = static_cast<const GumboNode*>(element.children.data[i]);
        if (child->type == GUMBO_NODE_ELEMENT && child->v.element.tag == GUMBO_TAG_LI) {
          builder.request_break(1);
          builder.mark(std::string(static_cast<size_t>(2 * (list_depth - 1)), ' ') +
                       (tag == GUMBO_TAG_OL ? std::to_string(++number) + ". " : "• "));
          for (unsigned j = 0; j < child->v.element.children.length; ++j)
            walk(static_cast<const GumboNode*>(child->v.element.children.data[j]), in_pre);
        } else {
          walk(child, in_pre);
        }
      }
      --list_depth;
      builder.request_break(1);
      return;
    }
    if (tag == GUMBO_TAG_PRE) {
      builder.request_break(1);
      children(true);
      builder.request_break(1);
      return;
    }
    if (tag == GUMBO_TAG_A) {
      std::string href = safe_href(element);
      if (!href.empty()) {
        std::string text = collected(element);
        if (text != href)
          rendered.links.emplace_back(text, href);
      }
      children(in_pre);
      return;
    }
    int breaks = is_paragraph(tag) ? 2 : ends_line(tag) || tag == GUMBO_TAG_LI ? 1 : 0;
    if (breaks > 0)
      builder.request_break(breaks);
    children(in_pre);
    if (breaks > 0)
      builder.request_break(breaks);
  }
};

}  // namespace

std::string sanitize_html(std::string_view html, bool mark_line_ends) {
  std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()),
      [](GumboOutput* parsed) { gumbo_destroy_output(&kGumboDefaultOptions, parsed); });
  if (!output)
    return escape_html(html);
  std::string out;
  // The parser wraps fragments in html/head/body; the head holds nothing a note needs.
  const GumboNode* root = output->root;
  for (unsigned i = 0; i < root->v.element.children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(root->v.element.children.data[i]);
    if (child->type == GUMBO_NODE_ELEMENT && child->v.element.tag == GUMBO_TAG_BODY)
      render(child, out, mark_line_ends);
  }
  while (!out.empty() && (out.back() == '\n' || (!mark_line_ends && out.back() == ' ')))
    out.pop_back();
  return out;
}

RenderedText render_text(std::string_view html, bool newlines_are_breaks) {
  std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()),
      [](GumboOutput* parsed) { gumbo_destroy_output(&kGumboDefaultOptions, parsed); });
  TextWalk walk;
  walk.newlines_are_breaks = newlines_are_breaks;
  if (!output) {
    walk.builder.lines(html, false);
  } else {
    const GumboNode* root = output->root;
    for (unsigned i = 0; i < root->v.element.children.length; ++i) {
      const auto* child = static_cast<const GumboNode*>(root->v.element.children.data[i]);
      if (child->type == GUMBO_NODE_ELEMENT && child->v.element.tag == GUMBO_TAG_BODY)
        walk.walk(child);
    }
  }
  walk.rendered.text = walk.builder.take();
  return std::move(walk.rendered);
}

}  // namespace atsm::ashby
