// Every field of every example body in Lever's documentation (tests/lever/docs/
// lever_docs_examples.json, a verbatim copy of the vendor spec transcription in
// Lever documentation, docs/vendors/lever.md) is walked through the mapping: each value either
// reaches a canonical record (and so the target) or is listed by unmigrated_lever_fields() with the
// reason it is not.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/time.hpp>
#include "lever_mapping.hpp"

namespace atsm::lever {
namespace {

namespace json = boost::json;

json::object load_examples() {
  std::ifstream in(ATSM_LEVER_DOCS_EXAMPLES);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

// Every string leaf of a canonical record except its vendor copy (`raw`).
void canonical_strings(const json::value& value, std::vector<std::string>& out, bool top = true) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.as_object())
      if (!(top && key == "raw"))
        canonical_strings(member, out, false);
  } else if (value.is_array()) {
    for (const json::value& item : value.as_array())
      canonical_strings(item, out, false);
  } else if (value.is_string()) {
    out.emplace_back(value.as_string());
  } else if (!value.is_null()) {
    out.push_back(json::serialize(value));
  }
}

struct Leaf {
  std::string path;  // "fields[].value": array indices folded
  json::value value;
};

void leaves(const json::value& value, const std::string& path, std::vector<Leaf>& out) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.as_object())
      leaves(member, path.empty() ? std::string(key) : path + "." + std::string(key), out);
  } else if (value.is_array()) {
    for (const json::value& item : value.as_array())
      leaves(item, path + "[]", out);
  } else {
    out.push_back({path, value});
  }
}

// A value reaches the records when it, its source key, or its time/date form is among them.
bool reaches(const json::value& value, const std::vector<std::string>& strings) {
  std::vector<std::string> forms;
  if (value.is_string()) {
    forms.emplace_back(value.as_string());
    std::string snake(value.as_string());  // enum values: "multiple-select" -> multiple_select
    std::replace(snake.begin(), snake.end(), '-', '_');
    forms.push_back(snake);
  } else {
    forms.push_back(json::serialize(value));
  }
  if (std::optional<std::int64_t> ms = parse_millis(value); ms && *ms > 100'000'000'000) {
    forms.push_back(model::format_epoch_millis(*ms));
    forms.push_back(model::format_epoch_millis(*ms).substr(0, 10));
    forms.push_back(model::format_epoch_millis(*ms + 12 * 3600'000).substr(0, 10));
  }
  auto word_in = [](const std::string& text, const std::string& word) {
    for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
      bool starts = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
      std::size_t end = at + word.size();
      bool ends = end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
      if (starts && ends)
        return true;
    }
    return false;
  };
  for (const std::string& form : forms)
    for (const std::string& text : strings)
      if (text == form || (form.size() >= 3 && text.find(form) != std::string::npos) ||
          word_in(text, form))
        return true;
  return false;
}

struct Case {
  std::string example;  // name in the examples file, "name[]" for each item of an array
  std::function<std::vector<model::Record>(const json::value&)> map;
};

const OpportunityRef kOpportunity{"250d8f03-738a-4bba-a671-8a3d73477145",
                                  "7f23e772-f2cb-4ebb-b33f-54b872999992"};

std::vector<model::Record> as_candidacy_and_person(const json::value& opportunity) {
  ContactAggregate contact;
  contact.add_opportunity(opportunity.as_object());
  return {map_opportunity(opportunity, {}, {}),
          contact.to_person(contact_id_of(opportunity.as_object()))};
}

std::vector<model::Record> application(const json::value& item) {
  json::value opportunity =
      json::object{{"id", "opp-1"}, {"contact", "contact-1"}, {"applications", json::array{item}}};
  std::vector<model::Record> out{map_opportunity(opportunity, {}, {})};
  for (const json::object& answer : application_files(opportunity))
    out.push_back(map_application_file(answer, kOpportunity, Download{}));
  return out;
}

std::vector<Case> cases() {
  Download none;
  return {
      {"application_retrieve.data", application},
      {"application_referral_from_list", application},
      {"contact_retrieve.data",
       [](const json::value& item) {
         ContactAggregate contact;
         contact.add_opportunity(json::object{{"id", "opp-1"}, {"contact", item}});
         return std::vector<model::Record>{
             contact.to_person(std::string(item.at("id").as_string()))};
       }},
      {"feedback_retrieve.data",
       [](const json::value& item) { return std::vector{map_feedback(item, kOpportunity)}; }},
      {"feedback_update_response.data",
       [](const json::value& item) { return std::vector{map_feedback(item, kOpportunity)}; }},
      {"files_list_verbatim[]",
       [none](const json::value& item) {
         return std::vector{map_file(item, kOpportunity, false, none)};
       }},
      {"interview_retrieve.data",
       [](const json::value& item) {
         return std::vector{map_interview(item, kOpportunity, 1'500'000'000'000)};
       }},
      {"note_retrieve.data",
       [](const json::value& item) { return std::vector{map_note(item, kOpportunity)}; }},
      {"offers_list.data[]",
       [none](const json::value& item) {
         std::vector<model::Record> out{map_offer(item, kOpportunity)};
         for (const char* status : {"sent", "signed"})
           if (item.as_object().contains(std::string(status) + "Document") &&
               !item.at(std::string(status) + "Document").is_null())
             out.push_back(map_offer_document(item, status, kOpportunity, none));
         return out;
       }},
      {"opportunity_retrieve.data", as_candidacy_and_person},
      {"opportunities_list_items_2_3[]", as_candidacy_and_person},
      {"postings_list.data[]",
       [](const json::value& item) {
         std::vector<model::Record> out{map_posting(item)};
         for (model::Record& record : departments_from_postings({item}))
           out.push_back(std::move(record));
         for (model::Record& record : offices_from_postings({item}))
           out.push_back(std::move(record));
         return out;
       }},
      {"profile_form_retrieve.data",
       [](const json::value& item) { return std::vector{map_profile_form(item, kOpportunity)}; }},
      {"resumes_list.data[]",
       [none](const json::value& item) {
         ContactAggregate contact;
         contact.add_opportunity(
             json::object{{"id", "opp-1"}, {"contact", "contact-1"}, {"name", "N"}});
         contact.add_resume(item);
         return std::vector{map_file(item, kOpportunity, true, none),
                            contact.to_person("contact-1")};
       }},
      {"users_list.data[]", [](const json::value& item) { return std::vector{map_user(item)}; }},
      {"stages_list.data[]",
       [](const json::value& item) { return std::vector{map_stage(item, 0)}; }},
      {"archive_reasons_list.data[]",
       [](const json::value& item) { return std::vector{map_archive_reason(item)}; }},
      {"archive_reasons_type_hired.data",
       [](const json::value& item) { return std::vector{map_archive_reason(item)}; }},
      {"sources_list.data[]",
       [](const json::value& item) { return std::vector{map_source(item)}; }},
      {"tags_list.data[]", [](const json::value& item) { return std::vector{map_tag(item)}; }},
  };
}

std::vector<json::value> items_of(const json::object& examples, const std::string& name) {
  bool each = name.size() > 2 && name.substr(name.size() - 2) == "[]";
  std::string path = each ? name.substr(0, name.size() - 2) : name;
  const json::value* at = &examples.at(path.substr(0, path.find('.')));
  if (path.find('.') != std::string::npos)
    at = &at->as_object().at(path.substr(path.find('.') + 1));
  if (!each)
    return {*at};
  return {at->as_array().begin(), at->as_array().end()};
}

TEST(LeverDocsExamples, EveryDocumentedFieldReachesARecordOrIsListedAsUnmigratedWithItsReason) {
  json::object examples = load_examples();
  const std::map<std::string, std::string>& unmigrated = unmigrated_lever_fields();
  std::set<std::string> used;
  for (const Case& example : cases()) {
    std::string object = example.example.substr(0, example.example.find_first_of(".["));
    for (const json::value& item : items_of(examples, example.example)) {
      std::vector<std::string> strings;
      for (const model::Record& record : example.map(item))
        canonical_strings(json::parse(model::serialize_record(record)), strings);
      std::vector<Leaf> found;
      leaves(item, "", found);
      for (const Leaf& leaf : found) {
        // Nothing to carry: absent or empty.
        if (leaf.value.is_null() || (leaf.value.is_string() && leaf.value.as_string().empty()))
          continue;
        if (reaches(leaf.value, strings))
          continue;
        std::string key = object + ":" + leaf.path;
        auto listed = unmigrated.find(key);
        if (listed == unmigrated.end()) {
          key = "*:" + leaf.path;
          listed = unmigrated.find(key);
        }
        EXPECT_NE(listed, unmigrated.end())
            << object << ":" << leaf.path << " = " << json::serialize(leaf.value)
            << " reaches no canonical record and is not listed as unmigrated";
        if (listed != unmigrated.end()) {
          used.insert(key);
          EXPECT_FALSE(listed->second.empty()) << key << " is listed without a reason";
        }
      }
    }
  }
  for (const auto& [key, reason] : unmigrated)
    EXPECT_TRUE(used.count(key)) << key << " is listed as unmigrated but no example has it";
}

}  // namespace
}  // namespace atsm::lever
