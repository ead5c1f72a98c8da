#include "render.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>

#include <atsmigrate/model/enums.hpp>
#include <atsmigrate/model/time.hpp>
#include "html.hpp"

namespace atsm::ashby {
namespace json = boost::json;
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])))
    ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])))
    --end;
  return std::string(text.substr(begin, end - begin));
}

std::string reference_line(std::string_view hash) {
  return "<i>" + escape_html(reference_text(hash)) + "</i>";
}

std::string optional_time(const std::optional<std::string>& time) {
  return time ? display_time(*time) : std::string("unknown time");
}

std::string scale_text(const model::RatingScale& scale) {
  if (!scale.values.empty()) {
    std::string text;
    for (const json::value& value : scale.values)
      text += (text.empty() ? "" : " / ") + value_text(value);
    return text;
  }
  if (scale.min && scale.max) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%g–%g", *scale.min, *scale.max);
    return buffer;
  }
  return {};
}

std::string field_line(const model::FeedbackField& field) {
  std::string line = field.label + ": " + (field.value ? value_text(*field.value) : "—");
  if (field.scale) {
    std::string scale = scale_text(*field.scale);
    if (!scale.empty())
      line += " (scale " + scale + ")";
  }
  if (field.note && !field.note->empty())
    line += " — " + *field.note;
  return line;
}

std::string feedback_heading(const model::Feedback& feedback) {
  std::string heading = source_label(feedback.source) + " feedback";
  if (feedback.form_name)
    heading += " — " + *feedback.form_name;
  heading += " — " + author_display(feedback.author_name, feedback.author_user_key) + ", " +
             optional_time(feedback.submitted_at);
  return heading;
}

// The plan's display names by source (remember_source_labels).
std::mutex source_labels_mutex;
std::map<std::string, std::string, std::less<>> source_labels;

}  // namespace

void remember_source_labels(const boost::json::value* source_display_names) {
  if (source_display_names == nullptr || !source_display_names->is_object())
    return;
  std::lock_guard lock(source_labels_mutex);
  for (const auto& [name, label] : source_display_names->as_object()) {
    if (label.is_string() && !label.as_string().empty())
      source_labels[std::string(name)] = std::string(label.as_string());
  }
}

std::string source_label(std::string_view source) {
  {
    std::lock_guard lock(source_labels_mutex);
    if (auto known = source_labels.find(source); known != source_labels.end())
      return known->second;
  }
  std::string label(source);
  if (!label.empty())
    label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
  return label;
}

std::string display_time(std::string_view timestamp) {
  std::optional<std::string> normalized = model::normalize_timestamp(timestamp);
  if (!normalized || normalized->size() < 16)
    return std::string(timestamp);
  return normalized->substr(0, 10) + " " + normalized->substr(11, 5) + " UTC";
}

std::string reference_hash(std::string_view key, std::string_view purpose) {
  std::string input(key);
  input += '\x1f';
  input += purpose;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed while computing a reference for " + std::string(key));
  static const char* const hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

std::string reference_text(std::string_view hash) {
  return "atsmigrate ref " + std::string(hash);
}

LocationParts parse_location(std::string_view text) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : text) {
    if (c == ',') {
      parts.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(trim(current));
  parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
  LocationParts out;
  if (parts.empty())
    return out;
  out.city = parts.front();
  if (parts.size() == 2) {
    out.region = parts[1];
  } else if (parts.size() >= 3) {
    out.country = parts.back();
    for (size_t i = 1; i + 1 < parts.size(); ++i)
      out.region += (out.region.empty() ? "" : ", ") + parts[i];
  }
  return out;
}

bool is_http_url(std::string_view url) {
  std::string prefix = lower(url.substr(0, 8));
  return (prefix.rfind("http://", 0) == 0 && url.size() > 7) ||
         (prefix.rfind("https://", 0) == 0 && url.size() > 8);
}

std::string social_link_type(const model::Link& link) {
  if (link.type == model::LinkType::linkedin)
    return "LinkedIn";
  if (link.type == model::LinkType::github)
    return "GitHub";
  std::string url = lower(link.url);
  static const std::pair<const char*, const char*> kHosts[] = {
      {"linkedin.com", "LinkedIn"}, {"github.com", "GitHub"},
      {"twitter.com", "Twitter"},   {"x.com/", "Twitter"},
      {"medium.com", "Medium"},     {"stackoverflow.com", "StackOverflow"},
      {"youtube.com", "YouTube"},   {"codepen.io", "CodePen"}};
  for (const auto& [host, type] : kHosts)
    if (url.find(host) != std::string::npos)
      return type;
  return "Website";
}

std::string value_text(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "—";
    case json::kind::string:
      return std::string(value.as_string());
    case json::kind::bool_:
      return value.as_bool() ? "yes" : "no";
    case json::kind::array: {
      std::string text;
      for (const json::value& item : value.as_array())
        text += (text.empty() ? "" : ", ") + value_text(item);
      return text;
    }
    case json::kind::object: {
      std::string text;
      for (const auto& [key, item] : value.as_object())
        text += (text.empty() ? "" : ", ") + std::string(key) + " " + value_text(item);
      return text;
    }
    default:
      return json::serialize(value);
  }
}

std::string author_display(const std::optional<std::string>& name,
                           const std::optional<std::string>& user_key) {
  if (name && !name->empty())
    return *name;
  if (user_key && !user_key->empty())
    return *user_key;
  return "unknown author";
}

std::string note_html(const model::Note& note, std::string_view hash) {
  std::string html = "<b>" + escape_html(source_label(note.source)) + " note</b> — " +
                     escape_html(author_display(note.author_name, note.author_user_key)) + ", " +
                     escape_html(optional_time(note.created_at)) + "\n";
  html += note.body_format == model::BodyFormat::html ? sanitize_html(note.body)
                                                      : escape_html(note.body);
  html += "\n" + reference_line(hash);
  return html;
}

std::string note_text(const model::Note& note, std::string_view hash) {
  return source_label(note.source) + " note — " +
         author_display(note.author_name, note.author_user_key) + ", " +
         optional_time(note.created_at) + "\n" + note.body + "\n" + reference_text(hash);
}

namespace {

// The plain-text note: the lines, then the targets of links whose text does not show them.
NoteContent plain_note(const std::string& lines, const RenderedText& body,
                       std::string_view reference) {
  std::string text = lines;
  if (!body.links.empty()) {
    text += "\nLinks:";
    for (const auto& [label, url] : body.links)
      text += "\n" + (label.empty() ? url : label + ": " + url);
  }
  if (!reference.empty())
    text += "\n" + std::string(reference);
  return {true, text};
}

}  // namespace

NoteContent note_content(const model::Note& note, std::string_view hash) {
  if (note.body_format != model::BodyFormat::html)
    return {true, note_text(note, hash)};
  std::string heading = source_label(note.source) + " note — " +
                        author_display(note.author_name, note.author_user_key) + ", " +
                        optional_time(note.created_at);
  RenderedText body = render_text(note.body);
  std::string lines = heading + (body.text.empty() ? "" : "\n" + body.text);
  std::string html = "<b>" + escape_html(source_label(note.source)) + " note</b> — " +
                     escape_html(author_display(note.author_name, note.author_user_key)) + ", " +
                     escape_html(optional_time(note.created_at)) +
                     sanitize_html(note.body, /*mark_line_ends=*/false) + reference_line(hash);
  if (render_text(html).text == lines + "\n" + reference_text(hash))
    return {false, html};
  return plain_note(lines, body, reference_text(hash));
}

NoteContent composed_note_content(std::string_view composed_html) {
  std::string lines = render_text(composed_html, /*newlines_are_breaks=*/true).text;
  std::string html(composed_html);
  std::replace(html.begin(), html.end(), '\n', ' ');
  if (render_text(html).text == lines)
    return {false, html};
  return {true, lines};
}

std::optional<int> recommendation_score(model::Recommendation recommendation) {
  switch (recommendation) {
    case model::Recommendation::strong_no:
      return 1;
    case model::Recommendation::no:
      return 2;
    case model::Recommendation::yes:
      return 3;
    case model::Recommendation::strong_yes:
      return 4;
    case model::Recommendation::no_decision:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<int> feedback_score(const model::Feedback& feedback) {
  if (feedback.recommendation)
    return recommendation_score(*feedback.recommendation);
  for (const model::FeedbackField& field : feedback.fields) {
    if (field.type != model::FeedbackFieldType::rating || !field.value || !field.value->is_string())
      continue;
    const json::string& text = field.value->as_string();
    if (!text.empty() && text[0] >= '1' && text[0] <= '4' &&
        (text.size() == 1 || !std::isdigit(static_cast<unsigned char>(text[1]))))
      return text[0] - '0';
  }
  return std::nullopt;
}

std::string feedback_text(const model::Feedback& feedback, std::string_view hash) {
  std::string text = feedback_heading(feedback) + "\n";
  if (feedback.recommendation)
    text +=
        "Overall recommendation: " + std::string(model::to_string(*feedback.recommendation)) + "\n";
  for (const model::FeedbackField& field : feedback.fields)
    text += field_line(field) + "\n";
  if (feedback.text && !feedback.text->empty())
    text += *feedback.text + "\n";
  text += reference_text(hash);
  return text;
}

std::string feedback_note_html(const model::Feedback& feedback, std::string_view hash) {
  std::string html = "<b>" + escape_html(feedback_heading(feedback)) + "</b>\n";
  if (feedback.recommendation)
    html += "Overall recommendation: " +
            escape_html(std::string(model::to_string(*feedback.recommendation))) + "\n";
  if (!feedback.fields.empty()) {
    html += "<ul>";
    for (const model::FeedbackField& field : feedback.fields)
      html += "<li>" + escape_html(field_line(field)) + "</li>";
    html += "</ul>\n";
  }
  if (feedback.text && !feedback.text->empty())
    html += escape_html(*feedback.text) + "\n";
  html += reference_line(hash);
  return html;
}

bool has_attribute_ratings(const model::Feedback& feedback) {
  return std::any_of(feedback.fields.begin(), feedback.fields.end(), [](const auto& field) {
    return field.type == model::FeedbackFieldType::scorecard_attribute;
  });
}

std::string scorecard_note_html(const model::Feedback& feedback, std::string_view hash) {
  std::string html = "<b>" + escape_html(source_label(feedback.source)) + " scorecard</b>";
  if (feedback.form_name)
    html += " — " + escape_html(*feedback.form_name);
  html += "\nInterviewer: " +
          escape_html(author_display(feedback.author_name, feedback.author_user_key)) + "\n";
  if (feedback.interview_key)
    html += "Interview: " + escape_html(*feedback.interview_key) + "\n";
  html += "Submitted: " + escape_html(optional_time(feedback.submitted_at)) + "\n";
  if (feedback.recommendation)
    html += "Overall recommendation: " +
            escape_html(std::string(model::to_string(*feedback.recommendation))) + "\n";
  std::vector<const model::FeedbackField*> attributes, questions;
  for (const model::FeedbackField& field : feedback.fields)
    (field.type == model::FeedbackFieldType::scorecard_attribute ? attributes : questions)
        .push_back(&field);
  if (!attributes.empty()) {
    html += "<b>Attributes</b><ul>";
    for (const model::FeedbackField* field : attributes) {
      std::string line = field_line(*field);
      if (field->category)
        line = *field->category + " / " + line;
      html += "<li>" + escape_html(line) + "</li>";
    }
    html += "</ul>\n";
  }
  if (!questions.empty()) {
    html += "<b>Questions</b><ul>";
    for (const model::FeedbackField* field : questions)
      html += "<li>" + escape_html(field_line(*field)) + "</li>";
    html += "</ul>\n";
  }
  if (feedback.text && !feedback.text->empty())
    html += escape_html(*feedback.text) + "\n";
  html += reference_line(hash);
  return html;
}

std::string interviews_note_html(const std::vector<model::Interview>& interviews,
                                 std::string_view job_title, std::string_view hash) {
  std::string html = "<b>Interviews";
  if (!job_title.empty())
    html += " — " + escape_html(job_title);
  html += "</b>";
  if (!interviews.empty())
    html += " (" + escape_html(source_label(interviews.front().source)) + ")";
  html += "\n<ul>";
  for (const model::Interview& interview : interviews) {
    std::string line = optional_time(interview.start_at);
    if (interview.end_at)
      line += " to " + display_time(*interview.end_at);
    line += ": " + interview.title.value_or("Interview");
    if (interview.status)
      line += " [" + *interview.status + "]";
    if (!interview.interviewers.empty()) {
      std::string names;
      for (const model::Interviewer& person : interview.interviewers)
        names += (names.empty() ? "" : ", ") + author_display(person.name, person.user_key);
      line += " — interviewers: " + names;
    }
    if (interview.location)
      line += " — " + *interview.location;
    html += "<li>" + escape_html(line) + "</li>";
  }
  html += "</ul>\n" + reference_line(hash);
  return html;
}

std::string offer_note_html(const model::Offer& offer, std::string_view job_title,
                            std::string_view hash) {
  std::string html = "<b>" + escape_html(source_label(offer.source)) + " offer</b>";
  if (!job_title.empty())
    html += " — " + escape_html(job_title);
  html += "\n<ul>";
  auto item = [&](const std::string& label, const std::optional<std::string>& value) {
    if (value)
      html += "<li>" + escape_html(label + ": " + *value) + "</li>";
  };
  item("Status", offer.status);
  item("Created", offer.created_at ? std::optional(display_time(*offer.created_at)) : std::nullopt);
  item("Sent", offer.sent_at ? std::optional(display_time(*offer.sent_at)) : std::nullopt);
  item("Resolved",
       offer.resolved_at ? std::optional(display_time(*offer.resolved_at)) : std::nullopt);
  item("Start date", offer.start_date);
  item("Created by", offer.creator_user_key);
  for (const model::OfferField& field : offer.fields)
    html += "<li>" +
            escape_html(field.label + ": " + (field.value ? value_text(*field.value) : "—")) +
            "</li>";
  html += "</ul>\n" + reference_line(hash);
  return html;
}

// person.education, .employment, .time_zone and .can_email: Ashby's candidate.create/update take
// none of them (its candidate only reports `school` and `timezone`), so they are lines of the
// profile note. can_email is said only when the candidate withheld consent.
std::vector<std::string> history_and_consent_lines(const model::Person& person) {
  std::vector<std::string> lines;
  auto span = [](const std::optional<std::string>& start, const std::optional<std::string>& end,
                 const std::string& open) {
    if (!start && !end)
      return open.empty() ? std::string() : " (" + open + ")";
    return " (" + start.value_or("?") + " – " + end.value_or(open) + ")";
  };
  for (const model::Education& item : person.education) {
    std::string line = item.school;
    for (const std::optional<std::string>& part : {item.degree, item.field_of_study})
      if (part && !part->empty())
        line += (line.empty() ? "" : ", ") + *part;
    lines.push_back("education: " + line + span(item.start, item.end, ""));
  }
  for (const model::Employment& item : person.employment) {
    std::string title = item.title.value_or(""), company = item.company.value_or("");
    lines.push_back("employment: " + title + (title.empty() || company.empty() ? "" : " at ") +
                    company +
                    span(item.start, item.end, item.current.value_or(false) ? "present" : ""));
  }
  if (person.time_zone && !person.time_zone->empty())
    lines.push_back("time zone: " + *person.time_zone);
  if (person.can_email && !*person.can_email)
    lines.push_back("email consent: the candidate does not want to be emailed");
  return lines;
}

std::string profile_note_html(const model::Person& person, std::string_view hash,
                              std::vector<std::string>& lossy) {
  std::vector<std::string> lines;
  // The note holds the values; what is said about the loss names only the field, as it reaches
  // the report, which people forward.
  auto keep = [&](const std::string& line) {
    lines.push_back(line);
    lossy.push_back(line.substr(0, line.find(':')) + " kept in the profile note");
  };
  if (person.headline && !person.headline->empty())
    keep("headline: " + *person.headline);
  if (person.company && !person.company->empty())
    keep("company: " + *person.company);
  if (person.title && !person.title->empty())
    keep("title: " + *person.title);
  for (size_t i = 1; i < person.phones.size(); ++i)
    keep("phone: " + person.phones[i].number +
         (person.phones[i].type ? " (" + *person.phones[i].type + ")" : ""));
  for (size_t i = 1; i < person.addresses.size(); ++i)
    keep("address: " + person.addresses[i].value);
  for (const model::Link& link : person.links)
    if (!is_http_url(link.url))
      keep("link: " + link.url);
  for (const std::string& line : history_and_consent_lines(person))
    keep(line);
  if (lines.empty())
    return {};
  std::string label = source_label(person.source) + " " +
                      (person.source == "lever" ? "contact" : "candidate") + ", " +
                      (person.created_at ? person.created_at->substr(0, 10) : "unknown date");
  std::string html = "<b>Migrated profile</b> — " + escape_html(label) + "\n<ul>";
  for (const std::string& line : lines)
    html += "<li>" + escape_html(line) + "</li>";
  html += "</ul>\n" + reference_line(hash);
  return html;
}

std::string application_note_html(const model::Candidacy& candidacy, std::string_view job_title,
                                  std::string_view hash, std::vector<std::string>& lossy) {
  std::string body;
  if (candidacy.prospect_pool_stage && !candidacy.prospect_pool_stage->empty()) {
    body += "Prospect pool: " + escape_html(candidacy.prospect_pool.value_or("(unnamed)")) +
            ", stage: " + escape_html(*candidacy.prospect_pool_stage) + "\n";
    lossy.push_back("prospect pool stage kept in the application note");
  }
  if (candidacy.cover_letter && !trim(*candidacy.cover_letter).empty()) {
    body += "<b>Cover letter</b>\n" + escape_html(*candidacy.cover_letter) + "\n";
    lossy.push_back("cover letter kept in the application note");
  }
  if (!candidacy.form_answers.empty()) {
    // Answers in the source's order, a heading whenever the form changes.
    std::optional<std::string> form;
    bool open_list = false;
    for (const model::FormAnswer& answer : candidacy.form_answers) {
      std::string name = answer.form.value_or("Application form");
      if (!open_list || form != name) {
        if (open_list)
          body += "</ul>\n";
        body += "<b>" + escape_html(name) + "</b>\n<ul>";
        form = name;
        open_list = true;
      }
      std::string line = answer.question + ": " + answer.answer.value_or("—");
      if (!answer.file_keys.empty())
        line += answer.file_keys.size() == 1
                    ? " (an uploaded file, migrated among the candidate's files)"
                    : " (uploaded files, migrated among the candidate's files)";
      body += "<li>" + escape_html(line) + "</li>";
    }
    body += "</ul>\n";
    lossy.push_back("application form answers kept in the application note");
  }
  if (body.empty())
    return {};
  std::string html = "<b>" + escape_html(source_label(candidacy.source)) + " application</b>";
  if (!job_title.empty())
    html += " — " + escape_html(job_title);
  html += "\n" + body + reference_line(hash);
  return html;
}

}  // namespace atsm::ashby
