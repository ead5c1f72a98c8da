// The emulated Ashby's notes (candidate.createNote/listNotes) and application feedback.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>

#include <atsmigrate/model/html.hpp>

#include "ashby_rpc.hpp"
#include "ashby_state.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace json = boost::json;
using namespace ashby_rpc;

namespace {

// Ashby keeps only these tags in note HTML (docs/vendors/ashby.md §7); others are stripped, script
// and style contents dropped, links kept only with an http(s) href.
std::string sanitize_note_html(const std::string& html) {
  static const std::set<std::string> kAllowed{"b", "i", "u", "a", "ul", "ol", "li", "code", "pre"};
  std::string out;
  std::size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      out.push_back(html[i++]);
      continue;
    }
    std::size_t close = html.find('>', i);
    if (close == std::string::npos) {
      out += "&lt;";
      ++i;
      continue;
    }
    std::string tag = html.substr(i + 1, close - i - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    std::string name;
    for (std::size_t j = closing ? 1 : 0;
         j < tag.size() && std::isalnum(static_cast<unsigned char>(tag[j])); ++j)
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(tag[j]))));
    if (!closing && (name == "script" || name == "style")) {
      std::size_t end = to_lower(html).find("</" + name, close);
      i = end == std::string::npos ? html.size() : html.find('>', end) + 1;
      if (i == 0)
        i = html.size();
      continue;
    }
    if (kAllowed.count(name)) {
      if (closing) {
        out += "</" + name + ">";
      } else if (name == "a") {
        std::size_t href = to_lower(tag).find("href=\"");
        std::string url;
        if (href != std::string::npos)
          url = tag.substr(href + 6, tag.find('"', href + 6) - href - 6);
        if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0)
          out += "<a href=\"" + url + "\">";
        else
          out += "<a>";
      } else {
        out += "<" + name + ">";
      }
    }
    i = close + 1;
  }
  return out;
}

// What Ashby's web app shows of a text/html note once the unsupported elements are stripped
// (sandbox/validator/ashby-api-openapi.extract.json candidate.createNote: "we support the elements
// listed below. Any unsupported elements will be stripped out": b, i, u, a, ul/ol/li, code, pre).
// The document says nothing of line breaks, so the HTML rendering rules apply (CSS white-space:
// normal): outside <pre> every run of whitespace, line breaks included, is one space; a list item
// is a line of its own ("• ", "N. " in an <ol>, two spaces more per nesting level); <pre> shows its
// text as written, on lines of its own. Emphasis and links show only their text. The `rendered`
// member of
// /_sandbox/state's notes (a text/plain note shows its text as written).
std::string rendered_note_text(const std::string& sanitized) {
  std::string out;
  bool space = false, line_break = false;
  auto word = [&](const std::string& text) {
    if (!out.empty()) {
      if (line_break)
        out += '\n';
      else if (space)
        out += ' ';
    }
    line_break = space = false;
    out += text;
  };
  auto decode = [](std::string text) {
    static const std::pair<const char*, const char*> kEntities[] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
    for (const auto& [entity, plain] : kEntities)
      for (std::size_t at = text.find(entity); at != std::string::npos;
           at = text.find(entity, at + std::strlen(plain)))
        text.replace(at, std::strlen(entity), plain);
    return text;
  };
  std::vector<int> lists;  // per open list: -1 for <ul>, else the last number of the <ol>
  bool in_pre = false;
  std::size_t i = 0;
  while (i < sanitized.size()) {
    if (sanitized[i] == '<') {
      std::size_t close = sanitized.find('>', i);
      if (close == std::string::npos)
        break;
      std::string tag = to_lower(sanitized.substr(i + 1, close - i - 1));
      bool closing = !tag.empty() && tag[0] == '/';
      std::string name =
          tag.substr(closing ? 1 : 0, tag.find_first_of(" /", closing ? 1 : 0) - (closing ? 1 : 0));
      if (name == "ul" || name == "ol") {
        if (closing && !lists.empty())
          lists.pop_back();
        else if (!closing)
          lists.push_back(name == "ul" ? -1 : 0);
        line_break = true;
      } else if (name == "li" && !closing) {
        line_break = true;
        std::string mark(lists.empty() ? 0 : 2 * (lists.size() - 1), ' ');
        if (!lists.empty() && lists.back() >= 0)
          mark += std::to_string(++lists.back()) + ".";
        else
          mark += "•";
        word(mark);
        space = true;
      } else if (name == "pre") {
        in_pre = !closing;
        line_break = true;
      }
      i = close + 1;
      continue;
    }
    std::size_t end = sanitized.find('<', i);
    std::string text = decode(sanitized.substr(i, end == std::string::npos ? end : end - i));
    i = end == std::string::npos ? sanitized.size() : end;
    if (in_pre) {
      std::size_t start = 0;
      for (std::size_t nl = text.find('\n');; nl = text.find('\n', start)) {
        std::string line = text.substr(start, nl == std::string::npos ? nl : nl - start);
        if (!line.empty())
          word(line);
        if (nl == std::string::npos)
          break;
        line_break = true;
        start = nl + 1;
      }
      continue;
    }
    std::size_t at = 0;
    while (at < text.size()) {
      if (std::isspace(static_cast<unsigned char>(text[at]))) {
        space = true;
        ++at;
        continue;
      }
      std::size_t stop = at;
      while (stop < text.size() && !std::isspace(static_cast<unsigned char>(text[stop])))
        ++stop;
      word(text.substr(at, stop - at));
      at = stop;
    }
  }
  return out;
}

}  // namespace

json::object AshbyState::candidate_create_note(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  const std::string& now = rpc.now;
  Object& candidate = require(body, "candidate", "candidateId", "candidate_not_found");
  const json::value* note = field(body, "note");
  if (!note)
    fail("invalid_input", "Missing required parameter: note");
  std::string content, type = "text/plain", rendered;
  if (note->is_string()) {
    rendered = std::string(note->as_string());
    content = model::escape_html(rendered);
  } else {
    type = std::string(note->at("type").as_string());
    std::string value(note->at("value").as_string());
    if (type == "text/html") {
      content = sanitize_note_html(value);
      rendered = rendered_note_text(content);
    } else if (type == "text/plain") {
      content = model::escape_html(value);
      rendered = value;
    } else {
      fail("invalid_input", "note.type must be text/plain or text/html");
    }
  }
  const json::value* is_private = field(body, "isPrivate");
  Object object{{"id", new_id("note")},
                {"createdAt", checked_time(body, "createdAt", now)},
                {"isPrivate", is_private && is_private->is_bool() && is_private->as_bool()},
                {"content", content},
                {"_candidateId", candidate.at("id")},
                {"_type", type},
                {"_rendered", rendered}};
  if (Object* user = find("user", api_user_id_))
    object["author"] = json::object{{"id", user->at("id")},
                                    {"firstName", user->at("firstName")},
                                    {"lastName", user->at("lastName")},
                                    {"email", user->at("email")}};
  count_created(method, object);
  return results(render(put("note", std::move(object))));
}

json::object AshbyState::candidate_list_notes(const Rpc& rpc) {
  const json::object& body = rpc.body;
  std::string id(
      require(body, "candidate", "candidateId", "candidate_not_found").at("id").as_string());
  return list_in(body, "note", owned_by("note", id),
                 [&](const Object& note) { return note.at("_candidateId").as_string() == id; });
}

json::object AshbyState::application_feedback_submit(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  const std::string& now = rpc.now;
  std::string form_id = required_string(body, "formDefinitionId");
  Object* form = find("feedback_form", form_id);
  if (!form)
    fail("feedback_form_not_found", "Feedback form definition " + form_id + " not found");
  Object& app = require(body, "application", "applicationId", "application_not_found");
  std::string user_id = api_user_id_;
  if (auto requested = optional_string(body, "userId")) {
    if (!find("user", *requested))
      fail("user_not_found", "User " + *requested + " not found");
    user_id = *requested;
  }
  const json::value* submission = field(body, "feedbackForm");
  if (!submission)
    fail("invalid_input", "Missing required parameter: feedbackForm");
  std::map<std::string, json::object> definitions;
  for (const auto& section : form->at("formDefinition").at("sections").as_array())
    for (const auto& entry : section.at("fields").as_array())
      definitions[std::string(entry.at("field").at("path").as_string())] = entry.as_object();
  json::object submitted;
  for (const auto& item : submission->at("fieldSubmissions").as_array()) {
    std::string path(item.at("path").as_string());
    auto it = definitions.find(path);
    if (it == definitions.end())
      fail("invalid_input", "Field path " + path + " is not in form " + form_id);
    std::string type(it->second.at("field").at("type").as_string());
    const json::value& value = item.at("value");
    bool ok = true;
    if (type == "Score") {
      // Exactly `{ score: 4 }`, an integer 1..4, as applicationFeedback.submit's description
      // says (its schema says string: the contradiction is listed in docs/vendors/ashby.md §6).
      ok = value.is_object() && value.as_object().size() == 1 &&
           value.as_object().contains("score") && value.at("score").is_int64() &&
           value.at("score").as_int64() >= 1 && value.at("score").as_int64() <= 4;
    } else if (type == "RichText") {
      ok = value.is_object() && value.as_object().contains("type") &&
           value.at("type") == "PlainText" && value.at("value").is_string();
    } else if (type == "String" || type == "LongText" || type == "Phone") {
      ok = value.is_string();
    } else if (type == "Boolean") {
      ok = value.is_bool();
    } else if (type == "Number") {
      ok = value.is_int64();
    }
    if (!ok)
      fail("invalid_input", "Invalid value for field " + path + " of type " + type);
    submitted[path] = value;
  }
  for (const auto& [path, definition] : definitions)
    if (definition.at("isRequired").as_bool() && !submitted.contains(path))
      fail("invalid_input", "Required field " + path + " is missing");
  Object feedback{{"id", new_id("feedback")},
                  {"formDefinitionId", form_id},
                  // The submitted form instance carries its form's definition (required).
                  {"formDefinition", form->at("formDefinition")},
                  {"applicationId", app.at("id")},
                  {"submittedValues", submitted},
                  {"submittedAt", now},
                  {"submittedByUser", user_ref(user_id)},
                  {"feedbackFormDefinitionId", form_id}};
  count_created(method, feedback);
  Object& stored = put("feedback", std::move(feedback));
  return results(json::object{{"submittedFormInstance", render(stored)}});
}

json::object AshbyState::application_feedback_list(const Rpc& rpc) {
  const json::object& body = rpc.body;
  auto app_id = optional_string(body, "applicationId");
  return list_in(body, "feedback", app_id ? owned_by("feedback", *app_id) : nullptr,
                 [&](const Object& item) {
                   return !app_id || item.at("applicationId").as_string() == *app_id;
                 });
}

}  // namespace atsm::sandbox
