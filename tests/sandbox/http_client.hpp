// A plain libcurl client for the sandbox's contract tests (independent of the product's client).
#pragma once

#include <curl/curl.h>

#include <boost/json.hpp>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace atsm::sandbox::test {

struct HttpOptions {
  std::string userpwd;  // "user:password" for Basic auth
  std::string bearer;
  std::string body;
  std::string content_type = "application/json";
  long timeout_ms = 20000;
  bool post = false;
  // Multipart parts: (name, filename or "" for a plain field, content).
  std::vector<std::tuple<std::string, std::string, std::string>> parts;
};

struct HttpResponse {
  long status = 0;
  CURLcode error = CURLE_OK;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  boost::json::value json() const { return boost::json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

inline std::size_t collect_header(char* data, std::size_t size, std::size_t count, void* out) {
  std::string line(data, size * count);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    auto begin = value.find_first_not_of(" \t");
    auto end = value.find_last_not_of(" \t\r\n");
    (*static_cast<std::map<std::string, std::string>*>(out))[name] =
        begin == std::string::npos ? "" : value.substr(begin, end - begin + 1);
  }
  return size * count;
}

inline HttpResponse http(const std::string& url, const HttpOptions& options = {}) {
  HttpResponse response;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_slist* headers = nullptr;
  if (!options.userpwd.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, options.userpwd.c_str());
  }
  if (!options.bearer.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options.bearer).c_str());
  curl_mime* mime = nullptr;
  if (!options.parts.empty()) {
    mime = curl_mime_init(curl);
    for (const auto& [name, filename, content] : options.parts) {
      curl_mimepart* part = curl_mime_addpart(mime);
      curl_mime_name(part, name.c_str());
      curl_mime_data(part, content.data(), content.size());
      if (!filename.empty())
        curl_mime_filename(part, filename.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
  } else if (options.post || !options.body.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + options.content_type).c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, options.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(options.body.size()));
  }
  if (headers)
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  response.error = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  if (mime)
    curl_mime_free(mime);
  curl_easy_cleanup(curl);
  return response;
}

// POST /<method> to the emulated Ashby with its key.
inline HttpResponse ashby(const std::string& base, const std::string& key,
                          const std::string& method, const boost::json::object& body) {
  HttpOptions options;
  options.userpwd = key + ":";
  options.body = boost::json::serialize(body);
  options.post = true;
  return http(base + "/" + method, options);
}

}  // namespace atsm::sandbox::test
