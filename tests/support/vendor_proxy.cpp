#include "vendor_proxy.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <boost/json.hpp>

namespace atsm::testing {
namespace {

// Headers that describe one hop's transfer, not the answer: httplib sets its own.
bool is_hop_header(const std::string& name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
         lower == "keep-alive" || lower == "content-encoding" || lower == "accept-encoding" ||
         lower == "host";
}

std::string base64_decode(const std::string& text) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    if (value < 0)
      continue;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

// The key inside an Authorization header: Basic's user (and password), or the bearer token.
std::string key_of(const std::string& authorization) {
  if (authorization.rfind("Basic ", 0) == 0) {
    std::string pair = base64_decode(authorization.substr(6));
    if (!pair.empty() && pair.back() == ':')
      pair.pop_back();
    return pair;
  }
  if (authorization.rfind("Bearer ", 0) == 0)
    return authorization.substr(7);
  return authorization;
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
  static const char* const alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], alphabet[(n >> 6) & 63],
            alphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    const auto n = static_cast<unsigned char>(bytes[i]) << 16;
    out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], alphabet[(n >> 6) & 63], '='};
  }
  return out;
}

VendorProxy::VendorProxy(const std::string& upstream_url) {
  // http://HOST:PORT[/path]
  const std::string scheme = "http://";
  if (upstream_url.rfind(scheme, 0) != 0)
    throw std::invalid_argument("VendorProxy: upstream must be http://HOST:PORT: " + upstream_url);
  const std::string rest = upstream_url.substr(scheme.size());
  const std::string authority = rest.substr(0, rest.find('/'));
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("VendorProxy: upstream has no port: " + upstream_url);
  upstream_host_ = authority.substr(0, colon);
  upstream_port_ = std::stoi(authority.substr(colon + 1));
  server_.new_task_queue = [] { return new httplib::ThreadPool(16); };
  const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    handle(request, response);
  };
  server_.Get(".*", handler);
  server_.Post(".*", handler);
  server_.Put(".*", handler);
  server_.Patch(".*", handler);
  server_.Delete(".*", handler);
}

VendorProxy::~VendorProxy() {
  stop();
}

std::size_t VendorProxy::add_rule(ProxyRule rule) {
  std::lock_guard lock(mutex_);
  rules_.push_back({std::move(rule), 0, 0});
  return rules_.size() - 1;
}

void VendorProxy::start() {
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0)
    throw std::runtime_error("VendorProxy: cannot bind a loopback port");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void VendorProxy::stop() {
  server_.stop();
  if (thread_.joinable())
    thread_.join();
}

std::string VendorProxy::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void VendorProxy::disable(std::size_t rule) {
  std::lock_guard lock(mutex_);
  if (rule < rules_.size())
    rules_[rule].rule.times = rules_[rule].acted;
}

std::size_t VendorProxy::hits(std::size_t rule) const {
  std::lock_guard lock(mutex_);
  return rule < rules_.size() ? rules_[rule].acted : 0;
}

std::optional<Misbehaviour> VendorProxy::take_action(const httplib::Request& request) {
  std::lock_guard lock(mutex_);
  for (RuleState& state : rules_) {
    const ProxyRule& rule = state.rule;
    if (!rule.method.empty() && rule.method != request.method)
      continue;
    if (request.path.rfind(rule.path_prefix, 0) != 0)
      continue;
    if (state.acted >= rule.times)
      continue;
    if (state.matched++ < rule.skip)
      return std::nullopt;
    ++state.acted;
    return rule.action;
  }
  return std::nullopt;
}

void VendorProxy::handle(const httplib::Request& request, httplib::Response& response) {
  ++requests_;
  const std::optional<Misbehaviour> action = take_action(request);

  int status = 200;
  httplib::Headers headers;
  std::string body;
  std::string content_type = "application/json";
  if (!action || !action->skip_upstream) {
    httplib::Client upstream(upstream_host_, upstream_port_);
    upstream.set_read_timeout(120, 0);
    httplib::Headers forwarded;
    for (const auto& [name, value] : request.headers) {
      if (!is_hop_header(name) && name != "REMOTE_ADDR" && name != "REMOTE_PORT" &&
          name != "LOCAL_ADDR" && name != "LOCAL_PORT")
        forwarded.emplace(name, value);
    }
    const std::string target = request.target.empty() ? request.path : request.target;
    const std::string request_type = request.get_header_value("Content-Type");
    httplib::Result result =
        request.method == "GET"      ? upstream.Get(target.c_str(), forwarded)
        : request.method == "DELETE" ? upstream.Delete(target.c_str(), forwarded)
        : request.method == "PUT"
            ? upstream.Put(target.c_str(), forwarded, request.body, request_type.c_str())
        : request.method == "PATCH"
            ? upstream.Patch(target.c_str(), forwarded, request.body, request_type.c_str())
            : upstream.Post(target.c_str(), forwarded, request.body, request_type.c_str());
    if (!result) {
      response.status = 502;
      response.set_content(R"({"error":"the proxy could not reach upstream"})", "application/json");
      return;
    }
    status = result->status;
    body = result->body;
    for (const auto& [name, value] : result->headers) {
      if (name == "Content-Type")
        content_type = value;
      else if (!is_hop_header(name))
        headers.emplace(name, value);
    }
  }

  if (action) {
    if (action->status != 0)
      status = action->status;
    for (const auto& [name, value] : action->headers) {
      headers.erase(name);
      headers.emplace(name, value);
    }
    if (action->body) {
      body = *action->body;
      content_type = action->content_type.empty() ? "application/json" : action->content_type;
    }
    if (action->quote_authorization) {
      const std::string authorization = request.get_header_value("Authorization");
      boost::json::object error{
          {"success", false},
          {"code", "invalid_credentials"},
          {"message", "Invalid credentials: header 'Authorization: " + authorization + "' (key " +
                          key_of(authorization) + ") was not accepted"},
          {"errors", boost::json::array{"invalid key " + key_of(authorization)}},
          {"errorInfo",
           boost::json::object{{"code", "invalid_input"},
                               {"message", "key " + key_of(authorization) + " is not valid; sent " +
                                               authorization}}}};
      body = boost::json::serialize(error);
      content_type = "application/json";
    }
    if (action->rewrite_body)
      body = action->rewrite_body(body);
    if (action->truncate_to && *action->truncate_to < body.size())
      body.resize(*action->truncate_to);
  }

  response.status = status;
  for (const auto& [name, value] : headers)
    response.set_header(name, value);
  if (action && action->huge_body_bytes) {
    const std::uint64_t size = *action->huge_body_bytes;
    response.set_content_provider(
        static_cast<std::size_t>(size), "application/json",
        [size](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          static const std::string filler(64 * 1024, 'x');
          std::string chunk = filler.substr(0, std::min<std::size_t>(length, filler.size()));
          if (offset == 0)
            chunk[0] = '"';
          if (offset + chunk.size() == size)
            chunk.back() = '"';
          return sink.write(chunk.data(), chunk.size());
        });
    return;
  }
  response.set_content(body, content_type.c_str());
}

}  // namespace atsm::testing
