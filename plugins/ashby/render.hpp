// What a canonical record's text becomes in Ashby: note HTML (with the first line that keeps the
// source, author and original time, docs/mapping.md §6), feedback text, the profile note of what a
// candidate cannot hold, and the reference mark that lets a retry find what an earlier attempt
// created. Pure functions: no I/O.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <atsmigrate/model/types.hpp>

namespace atsm::ashby {

// How a source shows in text ("Lever note — ..."): the display name the plan gave for it
// (prepare's `source_display_names`, sdk/docs/sink-protocol.md §1), else the source's name with
// a capital first letter (a host before ABI 1.2 sends none).
std::string source_label(std::string_view source);
// Keeps the plan's display names for source_label. A plugin name means one connector in a host
// process, so its display name is one fact per process, whichever instance's plan brought it.
void remember_source_labels(const boost::json::value* source_display_names);
// "2019-03-04 14:02 UTC" for a model timestamp; the text itself when it does not parse.
std::string display_time(std::string_view timestamp);

// The reference a created note or feedback carries: the first 16 hex digits of
// SHA-256(ledger key, purpose). The same item always gets the same one, so a retry after a lost
// answer finds the object by it (find / lookup_first).
std::string reference_hash(std::string_view key, std::string_view purpose);
// The text embedded in the object: "atsmigrate ref <hash>".
std::string reference_text(std::string_view hash);

struct LocationParts {
  std::string city, region, country;
};
// "City", "City, Region", "City, Region, Country" (more parts: the last is the country and the
// middle ones the region). Empty text gives empty parts.
LocationParts parse_location(std::string_view text);

// Ashby's social link type for a URL ("LinkedIn", "GitHub", "Twitter", ... "Website").
std::string social_link_type(const model::Link& link);
bool is_http_url(std::string_view url);

// A JSON value as a reader sees it: strings bare, arrays joined with ", ", null as "—".
std::string value_text(const boost::json::value& value);

// Author shown in text: the name, else the user's source key, else "unknown author".
std::string author_display(const std::optional<std::string>& name,
                           const std::optional<std::string>& user_key);

// A source note: "<b>Lever note</b> — Jane Doe, 2019-03-04 14:02 UTC", then the body (plain
// text escaped with its line breaks, HTML sanitised), then the reference line.
std::string note_html(const model::Note& note, std::string_view hash);
// A plain-text source note as Ashby's text/plain note
// (sandbox/validator/ashby-api-openapi.extract.json, candidate.createNote): the same heading and
// reference line, its line breaks as written.
std::string note_text(const model::Note& note, std::string_view hash);

// A note as candidate.createNote takes it (sandbox/validator/ashby-api-openapi.extract.json: `note`
// {type, value}). Ashby keeps only b, i, u, a, ul/ol/li, code and pre of text/html and strips the
// rest, so a line break in HTML is whitespace to it: text/html is sent only when its rendering
// under those rules (render_text) shows exactly the note's lines; otherwise text/plain with the
// lines as written (a link's target after the text, in a "Links:" block). docs/vendors/ashby.md
// says why.
struct NoteContent {
  bool plain_text = false;
  std::string value;
};
// A source note: the heading, the body (HTML as a reader sees it), the reference line.
NoteContent note_content(const model::Note& note, std::string_view hash);
// A note the sink composed as HTML whose text line breaks are breaks (profile, feedback,
// scorecard, interviews, offer notes).
NoteContent composed_note_content(std::string_view composed_html);

// Greenhouse strong_no → 1 ... strong_yes → 4; no_decision → none.
std::optional<int> recommendation_score(model::Recommendation recommendation);
// The 1..4 score of the migrated form: the recommendation's, else the overall rating field's
// (the first `rating` field whose value reads "<1..4> - <label>", as Lever's score system does).
std::optional<int> feedback_score(const model::Feedback& feedback);

// Plain text for the feedback form's text field: "Lever feedback — <form> — <interviewer>,
// <time>", then "label: value" per field in the form's order (ratings with their scale), then
// the reference line.
std::string feedback_text(const model::Feedback& feedback, std::string_view hash);
// The same content as an HTML note (feedback on a candidacy without an application).
std::string feedback_note_html(const model::Feedback& feedback, std::string_view hash);
// The structured scorecard note: every attribute with its rating and note, every question with
// its answer, interview, interviewer and submitted time.
std::string scorecard_note_html(const model::Feedback& feedback, std::string_view hash);
// True when the feedback has per-attribute ratings that the migrated form cannot hold.
bool has_attribute_ratings(const model::Feedback& feedback);

// "Interviews — <job>": each interview with time, title, interviewers and status.
std::string interviews_note_html(const std::vector<model::Interview>& interviews,
                                 std::string_view job_title, std::string_view hash);
// An offer with its status, dates and fields.
std::string offer_note_html(const model::Offer& offer, std::string_view job_title,
                            std::string_view hash);

// What a candidate cannot hold from one source record of a person (headline, company, title,
// phones after the first, addresses after the first, links Ashby cannot type, education,
// employment, time zone, withheld email consent): empty when nothing. `lossy` receives one line per
// item kept only in the note. Lines for the person's education, employment, time zone and withheld
// email consent (the session's model extension members), as profile_note_html keeps them.
std::vector<std::string> history_and_consent_lines(const model::Person& person);
std::string profile_note_html(const model::Person& person, std::string_view hash,
                              std::vector<std::string>& lossy);

// What an application cannot hold of its candidacy (candidacy.prospect_pool_stage, cover_letter,
// form_answers), as one candidate note: "<b>Lever application</b> — <job>", the prospect pool and
// its stage, the cover letter with its line breaks, then each form's questions with their answers
// (a file-upload answer names its file, which migrates among the candidate's files), then the
// reference line. Empty when there is nothing. `lossy` receives one line per kind of content kept
// only in the note, without values (the report is forwarded).
std::string application_note_html(const model::Candidacy& candidacy, std::string_view job_title,
                                  std::string_view hash, std::vector<std::string>& lossy);

}  // namespace atsm::ashby
