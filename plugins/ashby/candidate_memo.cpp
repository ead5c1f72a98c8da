#include "candidate_memo.hpp"

#include <array>
#include <boost/algorithm/hex.hpp>
#include <cstdint>
#include <iterator>
#include <stdexcept>

namespace atsm::ashby {

namespace {

// A token is one byte of kind, then its payload:
//   kUuid: a canonical lower-case UUID (8-4-4-4-12 hex digits), its 16 bytes;
//   kHex:  lower-case hex of an even length up to 510 digits, one byte of length, then its bytes;
//   kText: anything else, its length (LEB128), then the text as it is.
// Only lower case packs: unpacking writes lower case, so anything else would not come back exactly.
constexpr char kUuid = 'u';
constexpr char kHex = 'h';
constexpr char kText = 't';
constexpr std::array<std::size_t, 4> kUuidDashes{8, 13, 18, 23};
constexpr std::string_view kLowerHexDigits = "0123456789abcdef";

bool is_lower_hex(std::string_view text) {
  return text.find_first_not_of(kLowerHexDigits) == std::string_view::npos;
}

std::string without_dashes(std::string_view text) {
  std::string digits;
  for (char c : text)
    if (c != '-')
      digits.push_back(c);
  return digits;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36)
    return false;
  for (std::size_t dash : kUuidDashes)
    if (text[dash] != '-')
      return false;
  std::string digits = without_dashes(text);
  return digits.size() == 32 && is_lower_hex(digits);
}

}  // namespace

std::string packed_id(std::string_view text) {
  std::string token;
  if (is_uuid(text)) {
    token.push_back(kUuid);
    boost::algorithm::unhex(without_dashes(text), std::back_inserter(token));
  } else if (!text.empty() && text.size() % 2 == 0 && text.size() <= 510 && is_lower_hex(text)) {
    token.push_back(kHex);
    token.push_back(static_cast<char>(text.size() / 2));
    boost::algorithm::unhex(text.begin(), text.end(), std::back_inserter(token));
  } else {
    token.push_back(kText);
    for (std::size_t left = text.size();; left >>= 7) {
      bool more = left >= 0x80;
      token.push_back(static_cast<char>((left & 0x7f) | (more ? 0x80 : 0)));
      if (!more)
        break;
    }
    token.append(text);
  }
  return token;
}

namespace {

// The token starting at `at`: its whole encoding (kind byte included) and where its payload
// starts in it.
struct Token {
  std::string_view encoded;
  std::size_t payload = 0;
  std::size_t end = 0;
};

Token token_at(std::string_view data, std::size_t at) {
  auto need = [&](std::size_t end) {
    if (end > data.size())
      throw std::logic_error("a candidate memo token runs past its text");
    return end;
  };
  std::size_t payload = 0, end = 0;
  switch (data[at]) {
    case kUuid:
      payload = at + 1;
      end = need(payload + 16);
      break;
    case kHex:
      payload = need(at + 2);
      end = need(payload + static_cast<unsigned char>(data[at + 1]));
      break;
    case kText: {
      std::size_t length = 0;
      payload = at + 1;
      for (int shift = 0;; shift += 7) {
        unsigned char byte = static_cast<unsigned char>(data[need(payload + 1) - 1]);
        ++payload;
        length |= static_cast<std::size_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0)
          break;
      }
      end = need(payload + length);
      break;
    }
    default:
      throw std::logic_error("a candidate memo token of an unknown kind");
  }
  return {data.substr(at, end - at), payload - at, end};
}

std::string decode(const Token& token) {
  std::string_view payload = token.encoded.substr(token.payload);
  if (token.encoded[0] == kText)
    return std::string(payload);
  std::string text;
  boost::algorithm::hex_lower(payload.begin(), payload.end(), std::back_inserter(text));
  if (token.encoded[0] == kUuid)
    for (std::size_t dash : kUuidDashes)
      text.insert(dash, 1, '-');
  return text;
}

template <typename Visit>
void for_each_token(std::string_view data, Visit&& visit) {
  for (std::size_t at = 0; at < data.size();) {
    Token token = token_at(data, at);
    visit(token);
    at = token.end;
  }
}

bool holds_token(std::string_view data, std::string_view encoded) {
  bool found = false;
  for_each_token(data, [&](const Token& token) { found = found || token.encoded == encoded; });
  return found;
}

// Appends into a string of exactly the size needed: these strings live for the whole load, and
// the usual doubling would leave up to half of each unused.
void append_exactly(std::string& text, std::string_view more) {
  std::string grown;
  grown.reserve(text.size() + more.size());
  grown.append(text).append(more);
  text.swap(grown);
}

// Appends the ids `tokens` does not hold yet.
void append_new_ids(std::string& tokens, const std::set<std::string>& ids) {
  std::string more;
  for (const std::string& id : ids) {
    std::string token = packed_id(id);
    if (!holds_token(tokens, token))
      more += token;
  }
  if (!more.empty())
    append_exactly(tokens, more);
}

std::set<std::string> decoded_ids(std::string_view tokens) {
  std::set<std::string> ids;
  for_each_token(tokens, [&](const Token& token) { ids.insert(decode(token)); });
  return ids;
}

}  // namespace

const CandidateMemos::Memo* CandidateMemos::find(const std::string& candidate) const {
  auto it = memos_.find(packed_id(candidate));
  return it == memos_.end() ? nullptr : &it->second;
}

CandidateMemos::Memo& CandidateMemos::at(const std::string& candidate) {
  return memos_[packed_id(candidate)];
}

std::optional<std::set<std::string>> CandidateMemos::file_ids_seen(
    const std::string& candidate) const {
  const Memo* memo = find(candidate);
  if (memo == nullptr || !memo->file_ids_known)
    return std::nullopt;
  return decoded_ids(memo->file_ids);
}

void CandidateMemos::see_file_ids(const std::string& candidate, const std::set<std::string>& ids) {
  Memo& memo = at(candidate);
  memo.file_ids_known = true;
  append_new_ids(memo.file_ids, ids);
}

std::optional<std::string> CandidateMemos::uploaded_file(const std::string& candidate,
                                                         const std::string& sha256) const {
  const Memo* memo = find(candidate);
  if (memo == nullptr)
    return std::nullopt;
  std::string wanted = packed_id(sha256);
  std::optional<std::string> found;
  bool is_sha = true;  // uploads alternate: SHA-256, then its file id
  bool matched = false;
  for_each_token(memo->uploads, [&](const Token& token) {
    if (is_sha)
      matched = token.encoded == wanted;
    else if (matched)
      found = decode(token);  // the latest upload of these bytes, should there be two
    is_sha = !is_sha;
  });
  return found;
}

std::set<std::string> CandidateMemos::uploaded_file_ids(const std::string& candidate) const {
  std::set<std::string> ids;
  if (const Memo* memo = find(candidate)) {
    bool is_sha = true;
    for_each_token(memo->uploads, [&](const Token& token) {
      if (!is_sha)
        ids.insert(decode(token));
      is_sha = !is_sha;
    });
  }
  return ids;
}

void CandidateMemos::remember_upload(const std::string& candidate, const std::string& sha256,
                                     const std::string& file_id) {
  if (uploaded_file(candidate, sha256) == file_id)
    return;
  append_exactly(at(candidate).uploads, packed_id(sha256) + packed_id(file_id));
}

std::set<std::string> CandidateMemos::tag_ids(const std::string& candidate) const {
  const Memo* memo = find(candidate);
  return memo == nullptr ? std::set<std::string>{} : decoded_ids(memo->tag_ids);
}

void CandidateMemos::add_tag_ids(const std::string& candidate, const std::set<std::string>& ids) {
  if (ids.empty())
    return;  // no entry for a candidate of no tag: most have none
  append_new_ids(at(candidate).tag_ids, ids);
}

void CandidateMemos::clear() {
  std::unordered_map<std::string, Memo>().swap(memos_);
}

std::optional<std::string> JobTitlesByApplication::find(const std::string& application) const {
  auto it = title_of_.find(packed_id(application));
  if (it == title_of_.end())
    return std::nullopt;
  return titles_[it->second];
}

void JobTitlesByApplication::remember(const std::string& application, const std::string& title) {
  auto [known, added] = title_index_.try_emplace(title, static_cast<std::uint32_t>(titles_.size()));
  if (added)
    titles_.push_back(title);
  title_of_[packed_id(application)] = known->second;
}

void JobTitlesByApplication::clear() {
  std::unordered_map<std::string, std::uint32_t>().swap(title_of_);
  std::unordered_map<std::string, std::uint32_t>().swap(title_index_);
  std::vector<std::string>().swap(titles_);
}

}  // namespace atsm::ashby
