// ats-sandbox: serves the emulated Lever, Greenhouse and Ashby APIs on loopback until
// SIGTERM/SIGINT.
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <boost/json.hpp>

#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"

namespace {
using namespace atsm::sandbox;

// What the command line sets: the Options and the flags that become Options once parsed.
struct CommandLine {
  Options options;
  std::string faults_profile = "none";
  std::vector<std::string> fault_flags;
  std::string credentials_file, state_dir, ashby_config;
  bool no_lever_retry_after = false;
  bool print_ashby_config = false;
  std::string gh_unknown_filters = "seeded", gh_attachment_urls = "seeded";
  std::string closed_job_applications = "seeded";
};

void add_options(CLI::App& app, CommandLine& line) {
  auto& [options, faults_profile, fault_flags, credentials_file, state_dir, ashby_config,
         no_lever_retry_after, print_ashby_config, gh_unknown_filters, gh_attachment_urls,
         closed_job_applications] = line;
  app.add_option("--seed", options.seed, "Dataset and fault seed")->capture_default_str();
  app.add_option("--persons", options.persons, "Dataset size (persons)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--rate-scale", options.rate_scale,
                 "Multiply every rate limit, divide every latency and window")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--latency-ms", options.latency_ms, "Median response time per request")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--faults", faults_profile, "Fault profile: none | chaos")->capture_default_str();
  app.add_option("--fault", fault_flags, "NAME=RATE or VENDOR:NAME=RATE (repeatable)");
  app.add_option("--stall-ms", options.stall_ms, "How long a stall holds a request")
      ->capture_default_str();
  app.add_option("--port-lever", options.port_lever, "0 picks a free port")->capture_default_str();
  app.add_option("--port-greenhouse", options.port_greenhouse, "0 picks a free port")
      ->capture_default_str();
  app.add_option("--port-ashby", options.port_ashby, "0 picks a free port")->capture_default_str();
  app.add_option("--credentials", credentials_file,
                 "Use the keys in this NAME=value file instead of random ones")
      ->check(CLI::ExistingFile);
  app.add_option("--state", state_dir,
                 "Directory where the emulated Ashby keeps what was written to it");
  app.add_option("--ashby-config", ashby_config,
                 "JSON of the hand-made Ashby setup (default: matches the dataset)")
      ->check(CLI::ExistingFile);
  app.add_option("--attachment-ttl-s", options.attachment_url_ttl_s,
                 "Greenhouse signed attachment URL lifetime (documented: 7 days)")
      ->capture_default_str();
  app.add_option("--greenhouse-unknown-filters", gh_unknown_filters,
                 "A filter a Greenhouse list does not define: ignore | refuse (422) | seeded "
                 "(seed bit 0)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ignore", "refuse", "seeded"}));
  app.add_option("--greenhouse-attachment-urls", gh_attachment_urls,
                 "Greenhouse attachment urls: direct | redirect (302 to a fresh signed URL) | "
                 "seeded (seed bit 1)")
      ->capture_default_str()
      ->check(CLI::IsMember({"direct", "redirect", "seeded"}));
  app.add_option("--ashby-download-ttl-s", options.ashby_download_url_ttl_s,
                 "Lifetime of the download URL Ashby's file.info answers")
      ->capture_default_str();
  app.add_option("--token-ttl-s", options.token_ttl_s, "Bearer token lifetime")
      ->capture_default_str();
  app.add_option("--workers", options.worker_threads, "HTTP worker threads per vendor")
      ->capture_default_str();
  app.add_flag("--no-lever-retry-after", no_lever_retry_after, "Send no Retry-After on Lever 429s");
  app.add_option("--lever-list-shapes", options.lever_list_shapes,
                 "Lever child-list shapes: wrapped | documented | mixed")
      ->capture_default_str()
      ->check(CLI::IsMember({"wrapped", "documented", "mixed"}));
  app.add_flag("--ashby-retry-after", options.ashby_retry_after,
               "Send Retry-After on Ashby 429s (off by default: Ashby documents none)");
  app.add_option("--ashby-max-file-bytes", options.ashby_max_file_bytes,
                 "Ashby refuses uploads larger than this (file_too_large); 0: no limit")
      ->capture_default_str();
  app.add_option("--ashby-closed-job-applications", closed_job_applications,
                 "Whether Ashby takes application.create on a job that is not Open (undocumented)")
      ->check(CLI::IsMember({"seeded", "accept", "refuse"}))
      ->capture_default_str();
  app.add_flag("--print-ashby-config", print_ashby_config,
               "Print the default --ashby-config JSON for --seed/--persons and exit");
}

// --faults PROFILE, then each --fault NAME=RATE or VENDOR:NAME=RATE over it.
void apply_fault_flags(Options& options, const std::string& faults_profile,
                       const std::vector<std::string>& fault_flags) {
  FaultRates profile = fault_profile(faults_profile);
  options.faults = {profile, profile, profile};
  for (const auto& flag : fault_flags) {
    auto equals = flag.find('=');
    if (equals == std::string::npos)
      throw std::invalid_argument("--fault " + flag + ": expected NAME=RATE");
    std::string name = flag.substr(0, equals);
    double rate = 0;
    try {
      std::size_t used = 0;
      rate = std::stod(flag.substr(equals + 1), &used);
      if (used != flag.size() - equals - 1)
        throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw std::invalid_argument("--fault " + flag + ": RATE must be a number from 0 to 1");
    }
    auto colon = name.find(':');
    if (colon == std::string::npos) {
      for (auto& rates : options.faults)
        set_fault_rate(rates, name, rate);
      continue;
    }
    std::string vendor = name.substr(0, colon);
    std::size_t index = 0;
    while (index < kVendorNames.size() && vendor != kVendorNames[index])
      ++index;
    if (index == kVendorNames.size())
      throw std::invalid_argument("--fault " + flag + ": unknown vendor '" + vendor + "'");
    set_fault_rate(options.faults[index], name.substr(colon + 1), rate);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Two malloc arenas, not glibc's eight per core: each of the 128 worker threads per vendor would
  // otherwise keep freed response buffers in an arena of its own (at 10,000 persons a Lever
  // extraction grew the process by 140 MB instead of 40; issue 22 item 5).
  mallopt(M_ARENA_MAX, 2);
  CLI::App app{"ats-sandbox: emulated Lever, Greenhouse and Ashby APIs on loopback"};
  CommandLine line;
  add_options(app, line);
  CLI11_PARSE(app, argc, argv);
  auto& [options, faults_profile, fault_flags, credentials_file, state_dir, ashby_config,
         no_lever_retry_after, print_ashby_config, gh_unknown_filters, gh_attachment_urls,
         closed_job_applications] = line;
  if (closed_job_applications != "seeded")
    options.ashby_applications_on_closed_jobs = closed_job_applications == "accept";
  if (print_ashby_config) {
    std::cout << boost::json::serialize(
                     default_ashby_config(generate_dataset(options.seed, options.persons)))
              << std::endl;
    return 0;
  }

  std::filesystem::path credentials_path;
  std::filesystem::path generated_dir;
  try {
    apply_fault_flags(options, faults_profile, fault_flags);
    options.lever_retry_after = !no_lever_retry_after;
    if (gh_unknown_filters != "seeded")
      options.greenhouse_refuse_unknown_filters = gh_unknown_filters == "refuse";
    if (gh_attachment_urls != "seeded")
      options.greenhouse_redirect_attachments = gh_attachment_urls == "redirect";
    if (!state_dir.empty())
      options.state_dir = state_dir;
    if (!ashby_config.empty())
      options.ashby_config_file = ashby_config;
    if (!credentials_file.empty()) {
      options.credentials = read_credentials_file(credentials_file);
      credentials_path = std::filesystem::absolute(credentials_file);
    }

    // Block the stop signals before any thread starts, so only sigwait below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    Sandbox sandbox(options);
    sandbox.start();
    if (credentials_path.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "ats-sandbox-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("cannot create a private directory under " + pattern);
      generated_dir = pattern;  // mkdtemp makes it 0700
      credentials_path = generated_dir / "credentials.env";
      write_credentials_file(credentials_path, sandbox.credentials());
    }
    std::cout << sandbox.ready_line(credentials_path) << std::endl;

    int received = 0;
    sigwait(&stop_signals, &received);
    sandbox.stop();
    if (!generated_dir.empty())
      std::filesystem::remove_all(generated_dir);
    return 0;
  } catch (const std::exception& error) {
    if (!generated_dir.empty())
      std::filesystem::remove_all(generated_dir);
    std::cerr << "ats-sandbox: " << error.what() << std::endl;
    return 1;
  }
}
