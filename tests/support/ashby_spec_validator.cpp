#include "ashby_spec_validator.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <vector>

namespace atsm::testing {

AshbySpecValidator::AshbySpecValidator(const std::string& upstream_url, bool refuse_invalid) {
  int out[2];
  if (::pipe(out) != 0)
    throw std::runtime_error("AshbySpecValidator: pipe failed");
  // Everything the child needs is built before the fork: a child of a threaded process may only
  // call async-signal-safe functions (an allocation can deadlock on a lock another thread held).
  std::vector<std::string> args = {ATSM_PYTHON3, ATSM_ASHBY_SPEC_PROXY, "--upstream", upstream_url,
                                   refuse_invalid ? "--invalid=refuse" : "--invalid=record"};
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  child_ = ::fork();
  if (child_ < 0)
    throw std::runtime_error("AshbySpecValidator: fork failed");
  if (child_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(out[1]);
  // The proxy prints one line when it listens: {"ready": true, "port": P}.
  std::string line;
  char c = 0;
  while (::read(out[0], &c, 1) == 1 && c != '\n')
    line.push_back(c);
  ::close(out[0]);
  try {
    port_ = static_cast<int>(boost::json::parse(line).at("port").to_number<std::int64_t>());
  } catch (const std::exception&) {
    ::kill(child_, SIGKILL);
    ::waitpid(child_, nullptr, 0);
    child_ = -1;
    throw std::runtime_error(
        "the Ashby spec validator did not start (python3-jsonschema "
        "missing?): '" +
        line + "'");
  }
}

AshbySpecValidator::~AshbySpecValidator() {
  if (child_ > 0) {
    ::kill(child_, SIGTERM);
    ::waitpid(child_, nullptr, 0);
  }
}

boost::json::object AshbySpecValidator::report() const {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(60, 0);
  auto response = client.Get("/_validator/report");
  if (!response || response->status != 200)
    throw std::runtime_error("the Ashby spec validator did not answer its report");
  return boost::json::parse(response->body).as_object();
}

std::int64_t AshbySpecValidator::failing() const {
  return report().at("failing").to_number<std::int64_t>();
}

std::string AshbySpecValidator::summary() const {
  boost::json::object seen = report();
  std::string out = "Ashby spec violations (kind method: count): " +
                    boost::json::serialize(seen.at("violations")) + "\n";
  for (const auto& sample : seen.at("samples").as_array()) {
    out += "  " + std::string(sample.at("kind").as_string()) + " " +
           std::string(sample.at("method").as_string()) + ": " +
           std::string(sample.at("detail").as_string()) + "\n";
  }
  return out;
}

AshbySpecMode ashby_spec_mode() {
  const char* mode = std::getenv("ATSM_ASHBY_SPEC");
  std::string text = mode ? mode : "";
  if (text.empty() || text == "enforce")
    return AshbySpecMode::enforce;
  if (text == "report")
    return AshbySpecMode::report;
  if (text == "off")
    return AshbySpecMode::off;
  throw std::invalid_argument("ATSM_ASHBY_SPEC must be enforce, report or off, not '" + text + "'");
}

std::unique_ptr<AshbySpecValidator> start_ashby_spec_validator(const std::string& upstream_url) {
  AshbySpecMode mode = ashby_spec_mode();
  if (mode == AshbySpecMode::off)
    return nullptr;
  return std::make_unique<AshbySpecValidator>(upstream_url, mode == AshbySpecMode::enforce);
}

std::string ashby_url_through(const AshbySpecValidator* validator, const std::string& direct) {
  return validator ? validator->url() : direct;
}

void expect_no_ashby_spec_violations(const AshbySpecValidator* validator) {
  if (!validator)
    return;
  if (ashby_spec_mode() == AshbySpecMode::report)
    std::cout << validator->summary();
  else
    EXPECT_EQ(validator->failing(), 0) << validator->summary();
}

}  // namespace atsm::testing
