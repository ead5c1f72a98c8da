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

void render(const GumboNode* node, std::string& out) {
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
      render(static_cast<const GumboNode*>(children->data[i]), out);
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
    render(static_cast<const GumboNode*>(element.children.data[i]), out);
  if (kept)
    out += "</" + name + ">";
  else if (ends_line(tag) && !out.empty() && out.back() != '\n')
    out += '\n';
}

}  // namespace

std::string sanitize_html(std::string_view html) {
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
      render(child, out);
  }
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

}  // namespace atsm::ashby
