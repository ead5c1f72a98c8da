#include "lever_mapping.hpp"

#include <iterator>
#include <utility>

#include <boost/json/serialize.hpp>

#include "lever_mapping_fields.hpp"

namespace atsm::lever {
namespace json = boost::json;

namespace {

// Why each is not carried; "*:<path>" applies to every example.
constexpr std::pair<const char*, const char*> kUnmigratedFields[] = {
    {"*:fields[].id", "form field ids identify Lever template fields; fields are kept by label"},
    {"*:fields[].required", "whether a question was required: form design, not an answer"},
    {"*:fields[].prompt", "placeholder text of a dropdown: form design, not an answer"},
    {"*:fields[].isSummary", "Lever UI summary flag: form design, not an answer"},
    {"*:fields[].options[].optionId", "option ids of Lever's template; options are kept by text"},
    {"*:deletedAt",
     "soft-deleted notes and forms are not migrated (counted as skipped in the log)"},
    {"*:accountId", "the Lever account's id: meaningless in the target"},
    {"*:downloadUrl", "the bytes are downloaded through the API; the Lever link is left behind"},
    {"*:file.downloadUrl",
     "the bytes are downloaded through the API; the Lever link is left behind"},
    {"*:sentDocument.downloadUrl", "the letter is downloaded through the API (a file record)"},
    {"*:signedDocument.downloadUrl", "the letter is downloaded through the API (a file record)"},
    {"*:urls.list", "links into Lever's UI, which the migration leaves behind"},
    {"*:urls.show", "links into Lever's UI, which the migration leaves behind"},
    {"*:urls.apply", "links into Lever's job site, which the migration leaves behind"},
    {"*:count", "how many opportunities use a source or tag: recomputed by the target"},
    {"*:snoozedUntil", "snoozing is a Lever reminder with no canonical equivalent"},
    {"*:confidentiality", "\"non-confidential\" is the default; \"confidential\" is carried"},
    {"application_retrieve:id",
     "an application's own id: the candidacy is keyed by its opportunity"},
    {"application_referral_from_list:id",
     "an application's own id: the candidacy is keyed by its opportunity"},
    {"application_retrieve:opportunityId", "repeats the opportunity the application belongs to"},
    {"application_referral_from_list:opportunityId",
     "repeats the opportunity the application belongs to"},
    {"application_retrieve:candidateId",
     "repeats the opportunity the application belongs to (legacy name)"},
    {"application_referral_from_list:candidateId",
     "repeats the opportunity the application belongs to (legacy name)"},
    {"application_retrieve:name",
     "the applicant's name repeats the contact's, which the person carries"},
    {"application_referral_from_list:name",
     "the applicant's name repeats the contact's, which the person carries"},
    {"application_retrieve:email",
     "the applicant's email repeats the contact's, which the person carries"},
    {"application_referral_from_list:email",
     "the applicant's email repeats the contact's, which the person carries"},
    {"application_retrieve:phone.value",
     "the applicant's phone repeats the contact's, which the person carries"},
    {"application_referral_from_list:user",
     "the user who added the application: no canonical field for it"},
    {"application_retrieve:ownerId",
     "the posting's owner at application time: the job record carries it"},
    {"application_retrieve:hiringManager",
     "the posting's hiring manager at application time: the job record carries it"},
    {"application_retrieve:requisitionForHire.id",
     "the requisition is carried by its code (a form answer)"},
    {"application_retrieve:requisitionForHire.hiringManagerOnHire",
     "a Lever requisition detail; the requisition code is carried"},
    {"*:customQuestions[].user", "the user who added the form: no canonical author for answers"},
    {"*:customQuestions[].userId", "the user who added the form: no canonical author for answers"},
    {"*:customQuestions[].referrerId", "the referrer's user id: the answers name the referrer"},
    {"*:customQuestions[].accountId", "the Lever account's id: meaningless in the target"},
    {"*:customQuestions[].baseTemplateId",
     "Lever form template id: answers are kept by question text"},
    {"*:customQuestions[].createdAt", "when the form was added: the application time is carried"},
    {"*:customQuestions[].completedAt",
     "when the form was answered: the application time is carried"},
    {"*:customQuestions[].fields[].type", "the question's type: the answer is carried as text"},
    {"*:customQuestions[].fields[].isSummary", "Lever UI summary flag: form design, not an answer"},
    {"*:customQuestions[].fields[].summaryText",
     "Lever UI summary label: form design, not an answer"},
    {"*:customQuestions[].fields[].required",
     "whether a question was required: form design, not an answer"},
    {"*:customQuestions[].fields[].prompt",
     "placeholder text of a dropdown: form design, not an answer"},
    {"feedback_retrieve:panel", "the interview panel's id: the interview link is carried"},
    {"feedback_update_response:panelId", "the interview panel's id: the interview link is carried"},
    {"feedback_update_response:profileId", "repeats the opportunity the form belongs to"},
    {"feedback_update_response:postingIds[]", "the candidacy carries its posting"},
    {"feedback_update_response:isCompleted", "implied by completedAt, which is carried"},
    {"feedback_update_response:createdAt", "completedAt dates the submission and is carried"},
    {"feedback_update_response:fields[].overall",
     "marks the overall rating, which becomes the recommendation"},
    {"interview_retrieve:feedbackReminder",
     "a Lever reminder setting with no canonical equivalent"},
    {"interview_retrieve:feedbackTemplate", "the Lever form template for the interview's feedback"},
    {"interview_retrieve:interviewers[].feedbackTemplate",
     "the Lever form template for an interviewer"},
    {"interview_retrieve:postings[]", "the candidacy carries its posting"},
    {"interview_retrieve:timezone",
     "start and end are carried as instants (UTC); the display zone is not"},
    {"interview_retrieve:user", "the user who scheduled the interview: no canonical field for it"},
    {"note_retrieve:text", "the constant title \"Note\" of a note thread"},
    {"note_retrieve:fields[].text", "the constant label \"Comment\" of a note comment"},
    {"*:applications[]", "unexpanded application ids; the expanded applications are read instead"},
    {"opportunity_retrieve:stageChanges[].toStageIndex",
     "the stage's position: the stage record's order carries it"},
    {"opportunity_retrieve:dataProtection.store.expiresAt",
     "GDPR consent expiry: no canonical field (not migrated)"},
    {"postings_list:categories.level",
     "the posting's level: no canonical job field (not migrated)"},
    {"postings_list:country", "the posting's country: no canonical job field (not migrated)"},
    {"postings_list:workplaceType", "remote/hybrid/onsite: no canonical job field (not migrated)"},
    {"postings_list:distributionChannels[]",
     "where the posting is advertised: job-board state is not migrated"},
    {"postings_list:content.description",
     "job-board posting text: postings are migrated as jobs, not job posts"},
    {"postings_list:content.descriptionHtml",
     "job-board posting text: postings are migrated as jobs, not job posts"},
    {"postings_list:content.lists[].text",
     "job-board posting text: postings are migrated as jobs, not job posts"},
    {"postings_list:content.lists[].content",
     "job-board posting text: postings are migrated as jobs, not job posts"},
    {"postings_list:content.closing",
     "job-board posting text: postings are migrated as jobs, not job posts"},
    {"postings_list:content.closingHtml",
     "job-board posting text: postings are migrated as jobs, not job posts"},
    {"postings_list:salaryDescription",
     "job-board salary text: no canonical job field (not migrated)"},
    {"postings_list:salaryDescriptionHtml",
     "job-board salary text: no canonical job field (not migrated)"},
    {"postings_list:salaryRange.min", "salary range: no canonical job field (not migrated)"},
    {"postings_list:salaryRange.max", "salary range: no canonical job field (not migrated)"},
    {"postings_list:salaryRange.currency", "salary range: no canonical job field (not migrated)"},
    {"postings_list:salaryRange.interval", "salary range: no canonical job field (not migrated)"},
    {"profile_form_retrieve:stage",
     "the stage the form was filled at: no canonical feedback field"},
    {"profile_form_retrieve:fields[].type",
     "currency is carried as a number field with its currency"},
    {"resumes_list:parsedData.positions[].start.month", "carried in employment start as YYYY-MM"},
    {"resumes_list:parsedData.positions[].end.month", "carried in employment end as YYYY-MM"},
    {"resumes_list:parsedData.schools[].start.month", "carried in education start as YYYY-MM"},
    {"resumes_list:parsedData.schools[].end.month", "carried in education end as YYYY-MM"},
    {"resumes_list:parsedData.positions[].location",
     "no member of person.employment for it (not migrated)"},
    {"resumes_list:parsedData.positions[].summary",
     "no member of person.employment for it (not migrated)"},
    {"resumes_list:parsedData.schools[].summary",
     "no member of person.education for it (not migrated)"},
    {"users_list:createdAt", "when the Lever user was created: target users are not created"},
    {"users_list:deactivatedAt", "carried as active=false"},
    {"users_list:externalDirectoryId", "the SSO directory id: target users are matched by email"},
    {"users_list:jobTitle", "the user's job title: target users are matched, not created"},
    {"users_list:linkedContactIds[]", "the user's own candidate profiles in Lever"},
    {"users_list:managerId", "the user's manager: target users are matched, not created"},
    {"users_list:photo", "the user's avatar URL: target users are matched, not created"},
    {"users_list:username", "the Lever login name: target users are matched by email"},
    {"*:customQuestions[].fields[].options[].text",
     "the choices not picked: form design, not an answer"},
};

}  // namespace

const std::map<std::string, std::string>& unmigrated_lever_fields() {
  static const std::map<std::string, std::string> fields(std::begin(kUnmigratedFields),
                                                         std::end(kUnmigratedFields));
  return fields;
}

const std::string& unmigrated_lever_fields_json() {
  static const std::string text = [] {
    json::array fields;
    for (const auto& [key, reason] : unmigrated_lever_fields()) {
      std::size_t colon = key.find(':');
      fields.push_back(json::object{
          {"object", key.substr(0, colon)}, {"field", key.substr(colon + 1)}, {"reason", reason}});
    }
    return json::serialize(fields);
  }();
  return text;
}

}  // namespace atsm::lever
