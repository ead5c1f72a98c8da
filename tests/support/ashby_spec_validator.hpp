#pragma once
// The validating proxy (sandbox/validator/ashby_spec_proxy.py) in front of the emulated Ashby,
// for tests that run the product against it: requests that violate Ashby's OpenAPI document are
// refused as Ashby refuses them, and every violation either way is counted.
//
//   atsm::testing::AshbySpecValidator validator(sandbox.endpoints().ashby_url);
//   ... point ashby.base_url at validator.url() ...
//   EXPECT_EQ(validator.failing(), 0) << validator.summary();

#include <sys/types.h>

#include <boost/json.hpp>
#include <cstdint>
#include <string>

namespace atsm::testing {

class AshbySpecValidator {
 public:
  // Starts the proxy (the system python3 with python3-jsonschema) in front of `upstream_url`
  // ("http://127.0.0.1:PORT"); throws when it does not come up. `refuse_invalid` false: a
  // request the document forbids is only counted and still forwarded (to see a whole run's).
  explicit AshbySpecValidator(const std::string& upstream_url, bool refuse_invalid = true);
  ~AshbySpecValidator();
  AshbySpecValidator(const AshbySpecValidator&) = delete;
  AshbySpecValidator& operator=(const AshbySpecValidator&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // GET /_validator/report: requests per method, violations per "kind method", samples.
  boost::json::object report() const;
  // Violations that fail a test: every kind but undocumented answer fields.
  std::int64_t failing() const;
  // The counts and the distinct violations, one per line, for a failure message.
  std::string summary() const;

 private:
  pid_t child_ = -1;
  int port_ = 0;
};

}  // namespace atsm::testing
