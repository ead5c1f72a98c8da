// Every Ashby answer is classified: success:false is never a success (whatever the HTTP status),
// its code, message and request id reach the error, and a missing or malformed body is an error.
#include <gtest/gtest.h>

#include "ashby/ashby_client.hpp"

namespace atsm::ashby {
namespace {

sdk::HttpResponse response(int status, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  sdk::HttpResponse out;
  out.status = status;
  out.body = std::move(body);
  out.headers = std::move(headers);
  return out;
}

sdk::Error classify_error(const sdk::HttpResponse& answer, CallKind kind) {
  try {
    classify_response(answer, "candidate.create", kind);
  } catch (const sdk::Error& error) {
    return error;
  }
  ADD_FAILURE() << "no error for HTTP " << answer.status << " " << answer.body;
  return sdk::Error(ATSM_OK, "");
}

TEST(AshbyClassify, SuccessTrueIsTheEnvelope) {
  auto envelope = classify_response(response(200, R"({"success":true,"results":{"id":"c1"}})"),
                                    "candidate.create", CallKind::create);
  EXPECT_EQ(envelope.at("results").at("id").as_string(), "c1");
}

TEST(AshbyClassify, BusinessErrorOnHttp200CarriesCodeMessageAndRequestId) {
  auto error = classify_error(
      response(
          200,
          R"({"success":false,"errors":["application_not_found"],"errorInfo":{"code":"application_not_found","message":"Application not found","requestId":"01JSJ8FEK5ZN4XQBZP7DBKK7ZC"}})"),
      CallKind::create);
  EXPECT_EQ(error.status(), ATSM_PERMANENT);
  EXPECT_EQ(error.vendor_code(), "application_not_found");
  EXPECT_EQ(error.vendor_request_id(), "01JSJ8FEK5ZN4XQBZP7DBKK7ZC");
  EXPECT_NE(std::string(error.what()).find("Application not found"), std::string::npos);
  EXPECT_NE(std::string(error.what()).find("candidate.create"), std::string::npos);
}

TEST(AshbyClassify, InvalidInputIsInvalidAndTransientCodesAreRetried) {
  EXPECT_EQ(
      classify_error(response(200, R"({"success":false,"errorInfo":{"code":"invalid_input"}})"),
                     CallKind::create)
          .status(),
      ATSM_INVALID);
  EXPECT_EQ(
      classify_error(
          response(200, R"({"success":false,"errorInfo":{"code":"temporarily_unavailable"}})"),
          CallKind::create)
          .status(),
      ATSM_RETRY);
}

TEST(AshbyClassify, OlderErrorShapesAreRead) {
  auto strings = classify_error(
      response(200, R"({"success":false,"errors":["requested_job_not_found"]})"), CallKind::read);
  EXPECT_EQ(strings.vendor_code(), "requested_job_not_found");
  auto objects = classify_error(
      response(200, R"({"success":false,"errors":[{"message":"bad email","parameter":"email"}]})"),
      CallKind::read);
  EXPECT_EQ(objects.status(), ATSM_PERMANENT);
  EXPECT_EQ(objects.vendor_code(), "bad email (parameter email)");
}

TEST(AshbyClassify, MissingOrMalformedBodiesAreNeverSuccess) {
  for (const char* body :
       {"", "{\"success\":tr", "[]", "{\"results\":{}}", "{\"success\":\"yes\"}"}) {
    EXPECT_EQ(classify_error(response(200, body), CallKind::create).status(), ATSM_AMBIGUOUS)
        << body;
    EXPECT_EQ(classify_error(response(200, body), CallKind::read).status(), ATSM_RETRY) << body;
  }
  EXPECT_EQ(classify_error(response(200, "{\"success\":false}"), CallKind::read).vendor_code(),
            "unknown_error");
}

TEST(AshbyClassify, HttpStatusesMapToAuthRateLimitAndServerErrors) {
  EXPECT_EQ(classify_error(response(401, "Missing key"), CallKind::read).status(), ATSM_AUTH);
  auto forbidden = classify_error(
      response(403, R"({"success":false,"errorInfo":{"code":"missing_endpoint_permission"}})"),
      CallKind::read);
  EXPECT_EQ(forbidden.status(), ATSM_AUTH);
  EXPECT_EQ(forbidden.vendor_code(), "missing_endpoint_permission");
  auto limited = classify_error(
      response(429, R"({"success":false,"errorInfo":{"code":"rate_limit_exceeded"}})",
               {{"retry-after", "2"}}),
      CallKind::read);
  EXPECT_EQ(limited.status(), ATSM_RATE_LIMITED);
  EXPECT_EQ(limited.retry_after_ms(), 2000);
  EXPECT_EQ(classify_error(response(503, ""), CallKind::read).status(), ATSM_RETRY);
  EXPECT_EQ(classify_error(response(502, ""), CallKind::create).status(), ATSM_AMBIGUOUS);
  EXPECT_EQ(classify_error(response(404, "{}"), CallKind::create).status(), ATSM_PERMANENT);
}

}  // namespace
}  // namespace atsm::ashby
