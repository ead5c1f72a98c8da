#pragma once
// The validating proxy (sandbox/validator/ashby_spec_proxy.py) in front of the emulated Ashby,
// for tests that run the product against it: requests that violate Ashby's OpenAPI document are
// refused as Ashby refuses them, and every violation either way is counted.
//
//   auto validator = atsm::testing::start_ashby_spec_validator(sandbox.endpoints().ashby_url);
//   ... point ashby.base_url at atsm::testing::ashby_url_through(validator.get(), direct) ...
//   atsm::testing::expect_no_ashby_spec_violations(validator.get());  // at the end of the test

#include <sys/types.h>

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
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

// ATSM_ASHBY_SPEC, for every test that writes to the emulated Ashby: "enforce" (default): its
// Ashby traffic goes through the validator, a request the document forbids is refused as Ashby
// refuses it and any violation either way fails the test; "report": invalid requests are
// forwarded and the violations printed, not failed (to see what a whole run sends); "off": no
// validator (e.g. to time the sink alone).
enum class AshbySpecMode { enforce, report, off };
AshbySpecMode ashby_spec_mode();

// The validator in front of `upstream_url` as ashby_spec_mode() says; nullptr when "off".
std::unique_ptr<AshbySpecValidator> start_ashby_spec_validator(const std::string& upstream_url);
// Where the product must send its Ashby calls: the validator's URL, or `direct` without one.
std::string ashby_url_through(const AshbySpecValidator* validator, const std::string& direct);
// At the end of a test: a gtest failure listing the violations ("enforce"), or the list on
// stdout ("report"); nothing without a validator.
void expect_no_ashby_spec_violations(const AshbySpecValidator* validator);

}  // namespace atsm::testing
