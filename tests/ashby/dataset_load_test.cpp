// A load of the sandbox's own Lever dataset through the sink, item by item as the host would send
// them, compared with the sandbox's ground truth: every candidate, application, note, feedback
// and file exactly once — also when 5 % of write responses are lost and the host has to look up
// what the lost attempt created. Prints the Ashby calls per canonical object, by kind.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include <atsmigrate/model/time.hpp>
#include "ashby/html.hpp"
#include "harness.hpp"
#include "sandbox/dataset.hpp"

namespace atsm::ashby::testing {
namespace {

constexpr int kPersons = 20;

std::string iso(int64_t ms) {
  return model::format_epoch_millis(ms);
}

struct Load {
  std::vector<json::object> jobs, persons, candidacies, notes, feedback, interviews, offers, files;
  std::map<std::string, std::string> refs;  // source key -> target id, filled as kinds load
};

const char* link_type(const std::string& url) {
  if (url.find("linkedin.com") != std::string::npos)
    return "linkedin";
  if (url.find("github.com") != std::string::npos)
    return "github";
  return "website";
}

// The canonical records of the Lever dataset that the truth covers, built the way docs/mapping.md
// describes them (this is the test's stand-in for the Lever source plugin and the host's plan).
class LeverBuilder {
 public:
  LeverBuilder(AshbyHarness& h, const sandbox::LeverData& lv, const json::object& catalog)
      : h_(h), lv_(lv), catalog_(catalog) {}

  Load build(const json::object& truth) {
    map_references();
    add_jobs();
    for (const auto& contact : lv_.contacts)
      contacts_[contact.id] = &contact;
    for (const auto& opp : lv_.opportunities)
      if (!opp.deleted_at)
        opps_[opp.contact_id].push_back(&opp);
    for (const auto& truth_person : truth.at("persons").as_array()) {
      std::vector<json::object> members = add_person(truth_person);
      for (const auto& member : members) {
        std::string contact_key(member.at("source_key").as_string());
        for (const auto* opp : opps_[contact_key.substr(strlen("lever:contact:"))])
          add_opportunity(*opp, contact_key);
      }
    }
    return std::move(load_);
  }

 private:
  std::string by_name(const char* kind, const std::string& name) const {
    for (const auto& entry : catalog_.at("catalog").at(kind).as_array()) {
      const auto* email = entry.as_object().if_contains("email");
      if (entry.at("name").as_string() == name || (email && email->as_string() == name))
        return std::string(entry.at("id").as_string());
    }
    return {};
  }

  // The references the plan resolves against the catalog: users, stages, reasons, sources.
  void map_references() {
    for (const auto& user : lv_.users) {
      user_names_[user.id] = user.name;
      std::string id = by_name("user", user.email);
      load_.refs["lever:user:" + user.id] =
          id.empty() ? by_name("user", "migration-bot@acme.example") : id;
    }
    for (const auto& stage : lv_.stages)
      load_.refs["lever:stage:" + stage.id] = by_name("stage", stage.text);
    for (const auto& reason : lv_.archive_reasons) {
      reason_type_[reason.id] = reason.type;
      if (std::string id = by_name("archive_reason", reason.text); !id.empty())
        load_.refs["lever:archive_reason:" + reason.id] = id;
    }
    for (const auto& source : lv_.sources)
      load_.refs["lever:source:" + source] = by_name("source", source);
    for (const auto& stage : lv_.stages)
      if (stage.lead)
        lead_stages_.insert(stage.id);
  }

  void add_jobs() {
    for (const auto& posting : lv_.postings) {
      std::string status = posting.state == "closed"  ? "closed"
                           : posting.state == "draft" ? "draft"
                                                      : "open";
      load_.jobs.push_back(item("lever:posting:" + posting.id,
                                json::object{{"kind", "job"},
                                             {"source", "lever"},
                                             {"source_key", "lever:posting:" + posting.id},
                                             {"title", posting.text},
                                             {"status", status},
                                             {"confidential", posting.confidential},
                                             {"team", posting.team},
                                             {"location", posting.location}}));
    }
  }

  // The person item of one truth person: its Lever contacts (the legacy ids), the most recently
  // updated first as the host orders a merge group. Returns the members.
  std::vector<json::object> add_person(const json::value& truth_person) {
    std::string legacy(truth_person.at("legacyIds").as_string());
    std::vector<json::object> members;
    std::vector<int64_t> updated;
    size_t start = 0;
    while (start < legacy.size()) {
      size_t end = legacy.find(';', start);
      std::string key =
          legacy.substr(start, end == std::string::npos ? std::string::npos : end - start);
      start = end == std::string::npos ? legacy.size() : end + 1;
      int64_t last = 0;
      members.push_back(contact_record(key, last));
      updated.push_back(last);
    }
    // The host's order: the most recently updated record first.
    std::vector<size_t> order(members.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return updated[a] > updated[b]; });
    json::object person_item =
        item(std::string(members[order[0]].at("source_key").as_string()), members[order[0]]);
    if (members.size() > 1) {
      json::array group;
      for (size_t i = 1; i < order.size(); ++i)
        group.push_back(members[order[i]]);
      person_item["group"] = std::move(group);
    }
    load_.persons.push_back(std::move(person_item));
    return members;
  }

  // The person record of the Lever contact `key`; `last` gets its latest update.
  json::object contact_record(const std::string& key, int64_t& last) {
    const sandbox::LeverContact& contact = *contacts_.at(key.substr(strlen("lever:contact:")));
    int64_t created = INT64_MAX;
    last = 0;
    for (const auto* opp : opps_[contact.id]) {
      created = std::min(created, opp->created_at);
      last = std::max(last, opp->updated_at.value_or(opp->created_at));
    }
    json::array emails, phones, links;
    for (const auto& email : contact.emails)
      emails.push_back(json::object{{"address", email}});
    for (const auto& phone : contact.phones)
      phones.push_back(json::object{{"number", phone.value}, {"type", phone.type}});
    for (const auto& url : contact.links)
      links.push_back(json::object{{"url", url}, {"type", link_type(url)}});
    json::object record{
        {"kind", "person"},     {"source", "lever"},          {"source_key", key},
        {"name", contact.name}, {"emails", emails},           {"phones", phones},
        {"links", links},       {"created_at", iso(created)}, {"updated_at", iso(last)}};
    if (!contact.location.empty())
      record["location"] = contact.location;
    if (!contact.headline.empty())
      record["headline"] = contact.headline;
    add_resume_history(contact, record);
    return record;
  }

  // The parsed resumes' schools and positions (person.education / employment, which the profile
  // note carries).
  void add_resume_history(const sandbox::LeverContact& contact, json::object& record) {
    json::array education, employment;
    auto year_month = [](const json::value& at) {
      return std::to_string(at.at("year").as_int64()) + "-" +
             (at.at("month").as_int64() < 10 ? "0" : "") +
             std::to_string(at.at("month").as_int64());
    };
    for (const auto* opp : opps_[contact.id])
      for (const auto& file : opp->files)
        if (auto parsed = opp->resume_parsed.find(file.id);
            file.resume && parsed != opp->resume_parsed.end()) {
          for (const auto& school : parsed->second.at("schools").as_array())
            education.push_back(json::object{{"school", school.at("org")},
                                             {"degree", school.at("degree")},
                                             {"start", year_month(school.at("start"))},
                                             {"end", year_month(school.at("end"))}});
          for (const auto& position : parsed->second.at("positions").as_array())
            employment.push_back(json::object{{"company", position.at("org")},
                                              {"title", position.at("title")},
                                              {"start", year_month(position.at("start"))}});
        }
    if (!education.empty())
      record["education"] = std::move(education);
    if (!employment.empty())
      record["employment"] = std::move(employment);
  }

  // One opportunity: its candidacy and everything on it.
  void add_opportunity(const sandbox::LeverOpportunity& opp, const std::string& contact_key) {
    std::string opp_key = "lever:opportunity:" + opp.id;
    add_candidacy(opp, contact_key, opp_key);
    add_notes(opp, contact_key, opp_key);
    add_feedback(opp, contact_key, opp_key);
    add_profile_forms(opp, contact_key, opp_key);
    add_interviews(opp, contact_key, opp_key);
    add_offers(opp, contact_key, opp_key);
    add_files(opp, contact_key, opp_key);
    add_attached_files(opp, contact_key, opp_key);
  }

  void add_candidacy(const sandbox::LeverOpportunity& opp, const std::string& contact_key,
                     const std::string& opp_key) {
    std::string status = "active";
    if (opp.archive_reason_id)
      status = reason_type_[*opp.archive_reason_id] == "hired" ? "hired" : "archived";
    else if (lead_stages_.count(opp.stage_id))
      status = "lead";
    json::array history, tags, sources;
    for (const auto& change : opp.stage_changes)
      history.push_back(json::object{{"stage_key", "lever:stage:" + change.to_stage_id},
                                     {"entered_at", iso(change.at)}});
    for (const auto& tag : opp.tags)
      tags.emplace_back(tag);
    for (const auto& source : opp.sources)
      sources.push_back(json::object{{"source_key", "lever:source:" + source}, {"name", source}});
    json::object candidacy{{"kind", "candidacy"},
                           {"source", "lever"},
                           {"source_key", opp_key},
                           {"person_key", contact_key},
                           {"status", status},
                           {"stage_key", "lever:stage:" + opp.stage_id},
                           {"stage_history", history},
                           {"sources", sources},
                           {"tags", tags},
                           {"created_at", iso(opp.created_at)}};
    if (opp.posting_id)
      candidacy["job_key"] = "lever:posting:" + *opp.posting_id;
    if (opp.archive_reason_id) {
      candidacy["archive_reason_key"] = "lever:archive_reason:" + *opp.archive_reason_id;
      candidacy["archived_at"] = iso(opp.archived_at);
    }
    if (opp.updated_at)
      candidacy["updated_at"] = iso(*opp.updated_at);
    // The application's cover letter and form answers (their text is the e2e test's to
    // check; here they make the application note the truth counts).
    if (opp.posting_id) {
      const auto& data = opp.application;
      if (!data.comments.empty())
        candidacy["cover_letter"] = data.comments;
      json::array answers;
      if (!data.company.empty())
        answers.push_back(json::object{{"question", "Company"}, {"answer", data.company}});
      for (const auto& question : data.questions)
        answers.push_back(json::object{{"question", question.text}});
      if (!answers.empty())
        candidacy["form_answers"] = std::move(answers);
    }
    load_.candidacies.push_back(item(opp_key, candidacy));
  }

  void add_notes(const sandbox::LeverOpportunity& opp, const std::string& contact_key,
                 const std::string& opp_key) {
    for (const auto& note : opp.notes) {
      if (note.deleted_at)
        continue;
      std::string body;
      for (const auto& comment : note.comments)
        body += (body.empty() ? "" : "\n") + comment.value;
      load_.notes.push_back(
          item("lever:note:" + note.id, json::object{{"kind", "note"},
                                                     {"source", "lever"},
                                                     {"source_key", "lever:note:" + note.id},
                                                     {"person_key", contact_key},
                                                     {"candidacy_key", opp_key},
                                                     {"author_user_key", "lever:user:" + note.user},
                                                     {"author_name", user_names_[note.user]},
                                                     {"body", body},
                                                     {"body_format", "text"},
                                                     {"is_private", note.secret},
                                                     {"created_at", iso(note.created_at)}}));
    }
  }

  // The feedback item of a Lever feedback or profile form (`prefix` says which).
  template <typename Form>
  void push_feedback(const std::string& prefix, const Form& form, const std::string& contact_key,
                     const std::string& opp_key, json::array fields) {
    load_.feedback.push_back(
        item(prefix + form.id, json::object{{"kind", "feedback"},
                                            {"source", "lever"},
                                            {"source_key", prefix + form.id},
                                            {"person_key", contact_key},
                                            {"candidacy_key", opp_key},
                                            {"author_user_key", "lever:user:" + form.user},
                                            {"author_name", user_names_[form.user]},
                                            {"form_name", form.text},
                                            {"submitted_at", iso(form.completed_at)},
                                            {"fields", std::move(fields)}}));
  }

  void add_feedback(const sandbox::LeverOpportunity& opp, const std::string& contact_key,
                    const std::string& opp_key) {
    for (const auto& form : opp.feedback) {
      if (form.deleted_at)
        continue;
      json::array fields;
      for (const auto& field : form.fields) {
        std::string type = field.type == "yes-no"     ? "yes_no"
                           : field.type == "dropdown" ? "dropdown"
                           : field.type == "score"    ? "score"
                           : field.type == "textarea" ? "textarea"
                                                      : "rating";
        json::object entry{{"label", field.text}, {"type", type}, {"value", field.value}};
        if (!field.options.empty()) {
          json::array values;
          for (const auto& option : field.options)
            values.emplace_back(option);
          entry["scale"] = json::object{{"values", values}};
        }
        fields.push_back(std::move(entry));
      }
      push_feedback("lever:feedback:", form, contact_key, opp_key, std::move(fields));
    }
  }

  // Profile forms are feedback too (date, yes-no and text fields).
  void add_profile_forms(const sandbox::LeverOpportunity& opp, const std::string& contact_key,
                         const std::string& opp_key) {
    for (const auto& form : opp.profile_forms) {
      json::array fields;
      for (const auto& field : form.fields) {
        json::value value = field.value;
        if (field.type == "date")
          value = iso(field.value.as_int64() + 12 * 3600'000).substr(0, 10);
        std::string type = field.type == "yes-no" ? "yes_no" : field.type;
        fields.push_back(json::object{{"label", field.text}, {"type", type}, {"value", value}});
      }
      push_feedback("lever:form:", form, contact_key, opp_key, std::move(fields));
    }
  }

  // An opportunity's interviews are one item: the first its record, the rest its group.
  void add_interviews(const sandbox::LeverOpportunity& opp, const std::string& contact_key,
                      const std::string& opp_key) {
    if (opp.interviews.empty())
      return;
    json::array group;
    json::object first;
    for (const auto& interview : opp.interviews) {
      json::array interviewers;
      for (const auto& user : interview.interviewers)
        interviewers.push_back(
            json::object{{"user_key", "lever:user:" + user}, {"name", user_names_[user]}});
      json::object record{{"kind", "interview"},
                          {"source", "lever"},
                          {"source_key", "lever:interview:" + interview.id},
                          {"person_key", contact_key},
                          {"candidacy_key", opp_key},
                          {"title", interview.subject},
                          {"start_at", iso(interview.date)},
                          {"end_at", iso(interview.date + interview.duration_min * 60000)},
                          {"interviewers", interviewers}};
      if (first.empty())
        first = std::move(record);
      else
        group.push_back(std::move(record));
    }
    json::object grouped = item(opp_key + "#interviews", first);
    if (!group.empty())
      grouped["group"] = std::move(group);
    load_.interviews.push_back(std::move(grouped));
  }

  void add_offers(const sandbox::LeverOpportunity& opp, const std::string& contact_key,
                  const std::string& opp_key) {
    for (const auto& offer : opp.offers) {
      json::array fields;
      for (const auto& [label, value] : offer.fields)
        fields.push_back(json::object{{"label", label}, {"value", value}});
      load_.offers.push_back(
          item("lever:offer:" + offer.id, json::object{{"kind", "offer"},
                                                       {"source", "lever"},
                                                       {"source_key", "lever:offer:" + offer.id},
                                                       {"person_key", contact_key},
                                                       {"candidacy_key", opp_key},
                                                       {"status", offer.status},
                                                       {"created_at", iso(offer.created_at)},
                                                       {"fields", fields}}));
    }
  }

  void add_files(const sandbox::LeverOpportunity& opp, const std::string& contact_key,
                 const std::string& opp_key) {
    for (const auto& file : opp.files) {
      json::object record{{"kind", "file"},
                          {"source", "lever"},
                          {"source_key", "lever:file:" + file.id},
                          {"person_key", contact_key},
                          {"candidacy_key", opp_key},
                          {"file_name", file.name},
                          {"is_resume", file.resume},
                          {"uploaded_at", iso(file.uploaded_at)}};
      if (file.status == "processed") {
        std::string bytes = sandbox::file_bytes(file);
        record["sha256"] = h_.put_blob(bytes);
        record["size"] = static_cast<int64_t>(bytes.size());
        record["content_type"] = "application/pdf";
      } else {
        record["skipped_reason"] = "Lever 422: file " + file.status;
      }
      load_.files.push_back(item("lever:file:" + file.id, record));
    }
  }

  // Offer letters and file-upload answers are files on the candidacy too.
  void add_attached_files(const sandbox::LeverOpportunity& opp, const std::string& contact_key,
                          const std::string& opp_key) {
    std::vector<std::pair<std::string, const sandbox::SandboxFile*>> more;
    for (const auto& offer : opp.offers) {
      if (offer.sent_document)
        more.emplace_back("lever:offer_document:" + offer.id + ":sent", &*offer.sent_document);
      if (offer.signed_document)
        more.emplace_back("lever:offer_document:" + offer.id + ":signed", &*offer.signed_document);
    }
    if (opp.application.answer_file)
      more.emplace_back("lever:application_file:" + opp.application.answer_file->id,
                        &*opp.application.answer_file);
    for (const auto& [key, file] : more) {
      std::string bytes = sandbox::file_bytes(*file);
      load_.files.push_back(item(key, json::object{{"kind", "file"},
                                                   {"source", "lever"},
                                                   {"source_key", key},
                                                   {"person_key", contact_key},
                                                   {"candidacy_key", opp_key},
                                                   {"file_name", file->name},
                                                   {"is_resume", false},
                                                   {"uploaded_at", iso(file->uploaded_at)},
                                                   {"sha256", h_.put_blob(bytes)},
                                                   {"size", static_cast<int64_t>(bytes.size())},
                                                   {"content_type", "application/pdf"}}));
    }
  }

  AshbyHarness& h_;
  const sandbox::LeverData& lv_;
  const json::object& catalog_;
  Load load_;
  std::map<std::string, std::string> user_names_;   // Lever user id -> name
  std::map<std::string, std::string> reason_type_;  // archive reason id -> its type
  std::set<std::string> lead_stages_;
  std::map<std::string, const sandbox::LeverContact*> contacts_;
  std::map<std::string, std::vector<const sandbox::LeverOpportunity*>> opps_;  // by contact
};

Load build_lever(AshbyHarness& h, int persons, const json::object& truth,
                 const json::object& catalog) {
  sandbox::Dataset data = sandbox::generate_dataset(7, persons);
  return LeverBuilder(h, data.lever, catalog).build(truth);
}

struct LoadStats {
  int ambiguous = 0, retried = 0, found_by_find = 0;
};

// Writes the items of one kind the way the host does: refs from the ledger, `retry` sent again,
// `ambiguous` looked up (find) or sent again with lookup_first. Returns key -> result.
std::map<std::string, json::object> load_kind(AshbyHarness& h, const std::string& kind,
                                              std::vector<json::object> items, Load& load,
                                              LoadStats& stats, bool use_find) {
  std::map<std::string, json::object> done;
  for (auto& entry : items) {
    json::object refs;
    for (const auto& [key, target] : load.refs)
      refs[key] = target;
    entry["refs"] = std::move(refs);
  }
  for (int round = 0; round < 40 && !items.empty(); ++round) {
    json::array batch;
    for (const auto& entry : items)
      batch.push_back(entry);
    json::array results = h.sink().write(kind, json::serialize(batch));
    EXPECT_EQ(results.size(), items.size());
    std::vector<json::object> again;
    for (size_t i = 0; i < results.size(); ++i) {
      json::object result = results[i].as_object();
      std::string status(result.at("status").as_string());
      std::string key(result.at("key").as_string());
      if (status == "ok") {
        done[key] = result;
      } else if (status == "ambiguous") {
        ++stats.ambiguous;
        std::optional<std::string> found;
        if (use_find)
          found = h.sink().find(kind, json::serialize(items[i]));
        if (found) {
          ++stats.found_by_find;
          done[key] = json::object{{"key", key}, {"status", "ok"}, {"target_id", *found}};
        } else {
          items[i]["lookup_first"] = true;
          again.push_back(items[i]);
        }
      } else if (status == "retry" || status == "rate_limited") {
        ++stats.retried;
        again.push_back(items[i]);
      } else {
        ADD_FAILURE() << kind << " " << key << ": " << json::serialize(result);
      }
    }
    items = std::move(again);
  }
  EXPECT_TRUE(items.empty()) << items.size() << " " << kind << " items never succeeded";
  for (const auto& [key, result] : done) {
    std::string target(result.at("target_id").as_string());
    if (!target.empty())
      load.refs[key] = target;
  }
  return done;
}

struct KindCalls {
  std::string kind;
  size_t objects;
  std::map<std::string, int64_t> calls;
};

std::vector<KindCalls> run_load(AshbyHarness& h, int persons, const json::object& truth,
                                LoadStats& stats) {
  json::object catalog = h.prepare();
  EXPECT_TRUE(catalog.at("missing").as_array().empty()) << json::serialize(catalog.at("missing"));
  Load load = build_lever(h, persons, truth, catalog);
  std::vector<KindCalls> report;
  auto step = [&](const std::string& kind, std::vector<json::object>& items, bool use_find) {
    auto before = h.request_counts();
    load_kind(h, kind, items, load, stats, use_find);
    if (kind == "person") {
      // Every merged source record maps to the candidate of its group.
      for (const auto& entry : items)
        if (const auto* group = entry.if_contains("group"))
          for (const auto& member : group->as_array())
            load.refs[std::string(member.at("source_key").as_string())] =
                load.refs[std::string(entry.at("key").as_string())];
    }
    report.push_back({kind, items.size(), delta(before, h.request_counts())});
  };
  step("job", load.jobs, false);
  step("person", load.persons, false);
  step("candidacy", load.candidacies, false);
  step("note", load.notes, true);
  step("feedback", load.feedback, true);
  step("interview", load.interviews, true);
  step("offer", load.offers, true);
  step("file", load.files, true);
  return report;
}

// Compares Ashby's state with the truth person by person.
void expect_matches_truth(AshbyHarness& h, const json::object& truth) {
  json::object state = h.state();
  const auto& counts = truth.at("counts").as_object();
  for (const char* kind : {"candidate", "application", "note", "feedback", "file"})
    EXPECT_EQ(state.at("counts").at(kind), counts.at(kind)) << kind;
  EXPECT_EQ(state.at("duplicate_emails"), 0);
  std::map<std::string, const json::object*> by_legacy;
  for (const auto& candidate : state.at("candidates").as_array())
    by_legacy[std::string(candidate.at("customFields").at("Legacy IDs").as_string())] =
        &candidate.as_object();
  for (const auto& expected_value : truth.at("persons").as_array()) {
    const json::object& expected = expected_value.as_object();
    std::string legacy(expected.at("legacyIds").as_string());
    auto it = by_legacy.find(legacy);
    ASSERT_NE(it, by_legacy.end()) << "no candidate with Legacy IDs " << legacy;
    const json::object& got = *it->second;
    SCOPED_TRACE(legacy);
    EXPECT_EQ(got.at("name"), expected.at("name"));
    const auto& emails = got.at("emails").as_array();
    if (expected.at("email").is_null()) {
      EXPECT_TRUE(emails.empty());
    } else {
      ASSERT_FALSE(emails.empty());
      EXPECT_EQ(emails.at(0), expected.at("email"));
      json::array alternates(emails.begin() + 1, emails.end());
      EXPECT_EQ(alternates, expected.at("alternateEmails"));
    }
    EXPECT_EQ(model::timestamp_to_epoch_millis(got.at("createdAt").as_string()),
              model::timestamp_to_epoch_millis(expected.at("createdAt").as_string()));
    std::set<std::string> tags, expected_tags;
    for (const auto& tag : got.at("tags").as_array())
      tags.insert(std::string(tag.as_string()));
    for (const auto& tag : expected.at("tags").as_array())
      expected_tags.insert(std::string(tag.as_string()));
    EXPECT_EQ(tags, expected_tags);
    EXPECT_EQ(static_cast<int64_t>(got.at("notes").as_array().size()), expected.at("notes"));
    std::set<std::string> hashes, expected_hashes;
    for (const auto& file : got.at("files").as_array())
      hashes.insert(std::string(file.at("sha256").as_string()));
    for (const auto& hash : expected.at("files").as_array())
      expected_hashes.insert(std::string(hash.as_string()));
    EXPECT_EQ(hashes, expected_hashes);
    EXPECT_EQ(got.at("files").as_array().size(), expected_hashes.size());
    std::map<std::string, const json::object*> apps;
    int64_t feedback = 0;
    for (const auto& app : got.at("applications").as_array()) {
      apps[std::string(app.at("customFields").at("Legacy ID").as_string())] = &app.as_object();
      feedback += static_cast<int64_t>(app.at("feedback").as_array().size());
    }
    EXPECT_EQ(feedback, expected.at("feedback"));
    // Feedback scores per application (the form's Score field), as multisets.
    std::map<std::string, std::multiset<int64_t>> scores, expected_scores;
    for (const auto& [legacy_id, app] : apps)
      for (const auto& submitted : app->at("feedback").as_array()) {
        const auto* score =
            submitted.at("submittedValues").as_object().if_contains("overall_score");
        scores[legacy_id].insert(score ? score->at("score").as_int64() : 0);
      }
    for (const auto& entry : expected.at("feedbackItems").as_array())
      expected_scores[std::string(entry.at("application").as_string())].insert(
          entry.at("score").is_null() ? 0 : entry.at("score").as_int64());
    EXPECT_EQ(scores, expected_scores);
    // Every source note's text is in one note, escaped, with its privacy and original time.
    for (const auto& source_note : expected.at("sourceNotes").as_array()) {
      std::string text;
      for (const auto& part : source_note.at("texts").as_array())
        text += (text.empty() ? "" : "\n") + std::string(part.as_string());
      std::string escaped = escape_html(text);
      bool found = false;
      for (const auto& note : got.at("notes").as_array())
        if (note.at("content").as_string().find(escaped) != json::string::npos &&
            note.at("isPrivate") == source_note.at("isPrivate") &&
            model::timestamp_to_epoch_millis(note.at("createdAt").as_string()) ==
                model::timestamp_to_epoch_millis(source_note.at("createdAt").as_string()))
          found = true;
      EXPECT_TRUE(found) << "no note holds " << json::serialize(source_note);
    }
    EXPECT_EQ(apps.size(), expected.at("applications").as_array().size());
    for (const auto& app_value : expected.at("applications").as_array()) {
      const auto& app = app_value.as_object();
      auto found = apps.find(std::string(app.at("legacyId").as_string()));
      ASSERT_NE(found, apps.end()) << "no application " << app.at("legacyId");
      SCOPED_TRACE(std::string(app.at("legacyId").as_string()));
      EXPECT_EQ(found->second->at("job"), app.at("job"));
      EXPECT_EQ(found->second->at("status"), app.at("status"));
      EXPECT_EQ(found->second->at("stage"), app.at("stage"));
      EXPECT_EQ(found->second->at("history"), app.at("history"));
      if (app.contains("archiveReason")) {
        EXPECT_EQ(found->second->at("archiveReason"), app.at("archiveReason"));
      }
    }
  }
}

TEST(AshbyDatasetLoad, TheLeverDatasetCreatesExactlyTheTruthWithTheFewestCalls) {
  // The fewest calls are counted where Ashby takes applications on jobs that are not Open; where
  // it refuses them, each costs the reopen detour (seed 7's default: the lost-response test).
  AshbyHarness h(kPersons, {}, {}, 0, 100, true);
  json::object truth = h.truth("lever");
  LoadStats stats;
  std::vector<KindCalls> report = run_load(h, kPersons, truth, stats);
  expect_matches_truth(h, truth);
  EXPECT_EQ(stats.ambiguous, 0);

  // Ashby calls per canonical object, by kind (the fewest the API allows are named per kind).
  std::map<std::string, int64_t> creates;
  for (const auto& entry : report) {
    int64_t total = 0;
    std::string detail;
    for (const auto& [endpoint, count] : entry.calls) {
      if (endpoint.find("/_upload") != std::string::npos)
        continue;  // the presigned storage target is not an API call
      total += count;
      detail += " " + endpoint.substr(6) + "=" + std::to_string(count);
    }
    std::cout << "[ashby calls] " << entry.kind << ": " << entry.objects << " items, " << total
              << " calls (" << (entry.objects ? double(total) / double(entry.objects) : 0)
              << " per item):" << detail << "\n";
    ::testing::Test::RecordProperty("calls_" + entry.kind, std::to_string(total));
    for (const auto& [endpoint, count] : entry.calls)
      creates[endpoint] += count;
  }
  const auto& counts = truth.at("counts").as_object();
  EXPECT_EQ(calls(creates, "candidate.create"), counts.at("candidate").as_int64());
  EXPECT_EQ(calls(creates, "application.create"), counts.at("application").as_int64());
  EXPECT_EQ(calls(creates, "candidate.createNote"), counts.at("note").as_int64());
  EXPECT_EQ(calls(creates, "applicationFeedback.submit"), counts.at("feedback").as_int64());
  EXPECT_EQ(calls(creates, "candidate.uploadResume") + calls(creates, "candidate.uploadFile"),
            counts.at("file").as_int64());
  // Legacy ids: one setValues per candidate and per application, nothing more.
  EXPECT_EQ(calls(creates, "customField.setValues"),
            counts.at("candidate").as_int64() + counts.at("application").as_int64());
  EXPECT_EQ(calls(creates, "candidate.listNotes"), 0) << "no look-ups without a lost response";
}

TEST(AshbyDatasetLoad, LostResponsesLeaveNoDuplicateCandidatesApplicationsNotesOrFiles) {
  sandbox::FaultRates faults;
  faults.lost_response = 0.05;
  constexpr int kFaultPersons = 60;  // enough creates that the faults hit every kind
  AshbyHarness h(kFaultPersons, faults);
  json::object truth = h.truth("lever");
  LoadStats stats;
  run_load(h, kFaultPersons, truth, stats);
  expect_matches_truth(h, truth);
  EXPECT_GT(stats.ambiguous, 5) << "the fault never hit a create: the test proves nothing";
  std::cout << "[ashby faults] ambiguous=" << stats.ambiguous
            << " found_by_find=" << stats.found_by_find << " retried=" << stats.retried << "\n";
}

// Issue 24: Ashby's reads are POSTs (*.list, *.info, *.search) that change nothing, so the sink
// marks them ATSM_HTTP_READ (ABI 1.3) and the host abandons one that hangs and asks again, as it
// does a GET; a write that hangs (a create, or an update marked repeatable) is waited out, since
// the vendor may still commit it. The load stays exact under stalls on every Ashby request.
TEST(AshbyDatasetLoad, StalledReadsAreCutAndAskedAgainStalledWritesWaitedOutAndTheLoadIsExact) {
  sandbox::FaultRates faults;
  faults.stall = 0.05;
  constexpr int kStallPersons = 30;
  // 2 s stalls (200 s before the x100 rate scale): far beyond the cut of a read, which is
  // 8 x the host's p90 (at least 100 ms), far below a request's own limit.
  AshbyHarness h(kStallPersons, faults, {}, 0, 100, std::nullopt, 200'000);
  json::object truth = h.truth("lever");
  LoadStats stats;
  run_load(h, kStallPersons, truth, stats);
  expect_matches_truth(h, truth);
  EXPECT_EQ(stats.ambiguous, 0) << "a stalled write was cut";
  // Reads under the same stalls answer what Ashby holds (its state, read past the faults). Read
  // six times: the load itself reads little (the catalog once, lookups), and at 5 % the stalls
  // must hit some reads for the cut below to be shown (~130 reads: none hit once in 1,000 runs).
  const json::object state = h.state();
  for (int pass = 0; pass < 6; ++pass) {
    int read_back = 0;
    for (const auto& value : state.at("candidates").as_array()) {
      const json::object& held = value.as_object();
      const auto back = h.sink().read_back("person", std::string(held.at("id").as_string()));
      ASSERT_TRUE(back.has_value()) << held.at("id");
      EXPECT_EQ(back->at("name"), held.at("name"));
      EXPECT_EQ(back->at("emails").as_array().size(), held.at("emails").as_array().size());
      ++read_back;
    }
    EXPECT_EQ(read_back, truth.at("counts").at("candidate").as_int64());
  }

  const auto is_read = [](const std::string& path) {
    return path.ends_with(".list") || path.ends_with(".info") || path.ends_with(".search");
  };
  std::uint64_t read_cuts = 0, read_attempts = 0, write_cuts = 0, write_attempts = 0;
  for (const auto& [endpoint, metrics] : h.http_metrics()) {
    if (endpoint.method != "POST" || endpoint.path.find("/_") != std::string::npos)
      continue;  // storage uploads are neither
    const auto timed_out = metrics.attempt_outcomes.find("timed_out");
    const std::uint64_t cuts = timed_out == metrics.attempt_outcomes.end() ? 0 : timed_out->second;
    (is_read(endpoint.path) ? read_cuts : write_cuts) += cuts;
    (is_read(endpoint.path) ? read_attempts : write_attempts) += metrics.attempts;
    // Every request, stalled or not, ended in an answer: a cut read was asked again.
    for (const auto& [status, count] : metrics.final_statuses)
      EXPECT_EQ(status, 200) << endpoint.path << ": " << count << " requests ended in " << status;
  }
  EXPECT_GT(write_attempts, 100u) << "too few writes for the stalls to hit one";
  EXPECT_GT(read_cuts, 0u) << "no stalled read was cut and asked again";
  EXPECT_EQ(write_cuts, 0u) << "a stalled write was cut";
  std::cout << "[ashby stalls] read cuts=" << read_cuts << " of " << read_attempts
            << " read attempts, " << write_attempts << " write attempts\n";
}

// A measurement, not a test (no wall-clock assertion): the write rate plain candidates reach
// against the limit with the emulator's 200 ms median latency, scaled 10x (limit 10,000/min,
// latency 20 ms, the same ratio), for 1, 4 and 8 writers on one thread-safe instance. Run with
// --gtest_also_run_disabled_tests --gtest_filter='*MeasureWriteRate*' (with ATSM_ASHBY_SPEC=off:
// the sink's rate, not the validating proxy's).
TEST(AshbyDatasetLoad, DISABLED_MeasureWriteRate) {
  constexpr double kScale = 10;
  for (int writers : {1, 4, 8}) {
    AshbyHarness h(20, {}, {}, 200, kScale);
    // Warm the legacy field so every measured item costs the same two calls.
    h.sink().write("person",
                   json::serialize(json::array{
                       item("lever:contact:warm", json::object{{"kind", "person"},
                                                               {"source", "lever"},
                                                               {"source_key", "lever:contact:warm"},
                                                               {"name", "Warm Up"}})}));
    constexpr int kPerWriter = 60;
    auto before = h.request_counts();
    auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&, w] {
        for (int i = 0; i < kPerWriter; ++i) {
          std::string id = std::to_string(w) + "-" + std::to_string(i);
          h.sink().write(
              "person",
              json::serialize(json::array{
                  item("lever:contact:" + id, json::object{{"kind", "person"},
                                                           {"source", "lever"},
                                                           {"source_key", "lever:contact:" + id},
                                                           {"name", "Rate " + id}})}));
        }
      });
    for (auto& thread : threads)
      thread.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    int64_t total = 0;
    for (const auto& [endpoint, count] : delta(before, h.request_counts()))
      total += count;
    double per_minute = total / seconds * 60.0;
    std::cout << "[ashby rate] writers=" << writers << " calls=" << total << " in " << seconds
              << " s: " << per_minute << "/min = " << per_minute / (1000 * kScale) * 100
              << " % of the scaled limit\n";
  }
}

}  // namespace
}  // namespace atsm::ashby::testing
