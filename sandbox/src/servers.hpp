// The three emulated vendor servers.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>

#include "server_common.hpp"
#include "world.hpp"

namespace atsm::sandbox {

class LeverServer : public VendorServer {
 public:
  LeverServer(const Options& options, Sleeper& sleeper, World& world,
              const Credentials& credentials);

 protected:
  void handle(const httplib::Request& request, httplib::Response& response) override;
  bool handle_inspection(const httplib::Request& request, httplib::Response& response) override;
  bool is_write(const httplib::Request& request) const override;
  void write_fault_429(httplib::Response& response) override;
  void write_server_error(httplib::Response& response, int status) override;

 private:
  struct Caller {
    std::string key;
    bool confidential_access = true;
  };
  std::optional<Caller> authenticate(const httplib::Request& request, httplib::Response& response);
  void oauth_token(const httplib::Request& request, httplib::Response& response);
  std::string query_signature(const httplib::Request& request) const;
  std::string make_token(const std::string& signature, const json::array& position) const;
  bool read_token(const std::string& signature, std::string text, json::array& position) const;
  bool page_bounds(const httplib::Request& request, httplib::Response& response, std::size_t& start,
                   int& limit);
  void send_page(const httplib::Request& request, httplib::Response& response,
                 const std::vector<json::value>& items);
  json::value render_user(const std::string& id) const;
  json::object render_contact(const LeverContact& contact) const;
  json::object render_opportunity(const LeverOpportunity& opp,
                                  const std::set<std::string>& expand) const;
  json::object render_file(const LeverOpportunity& opp, const SandboxFile& file) const;
  void list_opportunities(const httplib::Request& request, httplib::Response& response,
                          const Caller& caller);
  // GET /opportunities/:id[/...] and /opportunities/deleted (also under /candidates).
  void serve_opportunities(const httplib::Request& request, httplib::Response& response,
                           const Caller& caller, const std::vector<std::string>& parts);
  // postings, stages, archive_reasons, users, sources, tags: a list, or one by id.
  void serve_reference_list(const httplib::Request& request, httplib::Response& response,
                            const Caller& caller, const std::vector<std::string>& parts);
  // The postings a request sees; false once it answered 403.
  bool posting_items(const httplib::Request& request, httplib::Response& response,
                     const Caller& caller, const std::vector<std::string>& parts,
                     std::vector<std::pair<std::string, json::value>>& items);
  void opportunity_children(const httplib::Request& request, httplib::Response& response,
                            const LeverOpportunity& opp, const std::string& kind,
                            const std::string& child_id, const std::string& action);
  // An opportunity's children of `kind` as (id, rendered); false for an unknown kind.
  bool child_items(const LeverOpportunity& opp, const std::string& kind,
                   const std::set<std::string>& expand,
                   std::vector<std::pair<std::string, json::value>>& items) const;
  void serve_child(const httplib::Request& request, httplib::Response& response,
                   const LeverOpportunity& opp, const std::string& kind,
                   const std::string& child_id, const std::string& action,
                   std::vector<std::pair<std::string, json::value>>& items) const;
  // Whether this opportunity's child lists take the documentation's unwrapped shapes.
  bool documented_shape(const LeverOpportunity& opp) const;
  json::array custom_questions(const LeverOpportunity& opp) const;
  json::value offer_document(const LeverOpportunity& opp, const LeverOffer& offer,
                             const std::string& status) const;

  World& world_;
  const Credentials& credentials_;
  TokenBucket bucket_;
  std::mutex oauth_mutex_;
  std::map<std::string, std::int64_t> access_tokens_;  // token -> expiry (epoch ms)
  std::set<std::string> refresh_tokens_;
  std::uint64_t token_serial_ = 0;
  // Opportunity-list controls (/_sandbox/lever/move_stages, /_sandbox/lever/offset_tokens).
  std::atomic<int> moves_per_list_call_{0};    // stage moves made before each GET /opportunities
  std::atomic<std::uint64_t> token_epoch_{0};  // bumped: every token issued before is stale
  std::atomic<bool> stale_when_anchor_moved_{false};
  std::atomic<int> invalid_token_status_{400};
};

// One record of a Greenhouse v3 list with the keys its filters use.
struct GreenhouseRow {
  std::int64_t id = 0, created_at = 0, updated_at = 0;
  json::object object;  // parent filters match its own *_id members
  // Listed only when this switch is "true" / hidden when it is (users?show_service_accounts,
  // rejection_reasons?include_defaults, offers?current_only).
  std::string shown_only_with, hidden_with;
  std::string custom_field_key;  // education options: listed only with custom_field_key=<this>
};
// The rows of one Greenhouse list (`resource`, e.g. "candidates"), id descending; none for a list
// the emulator does not serve.
std::vector<GreenhouseRow> greenhouse_rows(const World& world, const std::string& resource);

class GreenhouseServer : public VendorServer {
 public:
  GreenhouseServer(const Options& options, Sleeper& sleeper, World& world,
                   const Credentials& credentials);

 protected:
  void handle(const httplib::Request& request, httplib::Response& response) override;
  bool handle_inspection(const httplib::Request& request, httplib::Response& response) override;
  bool is_write(const httplib::Request& request) const override;
  void write_fault_429(httplib::Response& response) override;
  void write_server_error(httplib::Response& response, int status) override;

 private:
  void token(const httplib::Request& request, httplib::Response& response);
  void list(const httplib::Request& request, httplib::Response& response,
            const std::string& resource);
  void download(const httplib::Request& request, httplib::Response& response);
  std::string signed_url(const std::string& attachment_id) const;
  std::string redirect_url(const std::string& attachment_id) const;
  void redirect(const httplib::Request& request, httplib::Response& response);
  // Rows of a resource, rebuilt only after a mutation; caller holds the world's shared lock.
  std::shared_ptr<const std::vector<GreenhouseRow>> rows(const std::string& resource);

  World& world_;
  const Credentials& credentials_;
  FixedWindow window_;
  // Signed attachment URL lifetime in seconds (before rate_scale): --attachment-ttl-s, which a
  // test may change while the sandbox runs (POST /_sandbox/attachment_ttl {"seconds": S}).
  std::atomic<double> attachment_url_ttl_s_;
  const bool refuse_unknown_filters_;  // Options::greenhouse_refuse_unknown_filters
  const bool redirect_attachments_;    // Options::greenhouse_redirect_attachments
  std::mutex token_mutex_;
  struct Token {
    std::int64_t expiry_ms = 0;
    bool site_admin = true;  // the acting user (`sub`); lists need a Site Admin
  };
  std::map<std::string, Token> tokens_;
  std::uint64_t token_serial_ = 0;
  std::mutex rows_mutex_;
  std::map<std::string, std::pair<std::uint64_t, std::shared_ptr<const std::vector<GreenhouseRow>>>>
      rows_cache_;
};

class AshbyState;

class AshbyServer : public VendorServer {
 public:
  AshbyServer(const Options& options, Sleeper& sleeper, World& world,
              const Credentials& credentials, AshbyState& state);

 protected:
  void handle(const httplib::Request& request, httplib::Response& response) override;
  bool handle_inspection(const httplib::Request& request, httplib::Response& response) override;
  bool is_write(const httplib::Request& request) const override;
  void write_fault_429(httplib::Response& response) override;
  void write_server_error(httplib::Response& response, int status) override;
  void write_transient(httplib::Response& response) override;

 private:
  World& world_;
  const Credentials& credentials_;
  AshbyState& state_;
  FixedWindow window_;
  // POST /_sandbox/revoke_key: the key stops working after this many more API calls (-1: never),
  // as when an admin deactivates it mid-migration; `refused_since_revocation_` counts the calls
  // that still came.
  std::atomic<std::int64_t> calls_before_revocation_{-1};
  std::atomic<std::int64_t> refused_since_revocation_{0};
  std::mutex truth_mutex_;
  std::map<std::string, std::pair<std::uint64_t, std::string>>
      truth_cache_;  // source -> (mutations, json)
};

}  // namespace atsm::sandbox
