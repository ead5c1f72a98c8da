#include "candidate_memo.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>

namespace atsm::ashby {

namespace {

// A token is one byte of kind, then its payload:
//   kUuid: a canonical lower-case UUID (8-4-4-4-12 hex digits), its 16 bytes;
//   kHex:  lower-case hex of an even length up to 510 digits, one byte of length, then its bytes;
//   kText: anything else, its length (LEB128), then the text as it is.
constexpr char kUuid = 'u';
constexpr char kHex = 'h';
constexpr char kText = 't';
constexpr std::array<std::size_t, 4> kUuidDashes{8, 13, 18, 23};

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;  // upper case too: decoding writes lower case, so only it packs exactly
}

bool is_dash_at(std::size_t i) {
  for (std::size_t dash : kUuidDashes)
    if (i == dash)
      return true;
  return false;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (is_dash_at(i) ? text[i] != '-' : hex_digit(text[i]) < 0)
      return false;
  return true;
}

bool is_packable_hex(std::string_view text) {
  if (text.empty() || text.size() % 2 != 0 || text.size() > 510)
    return false;
  for (char c : text)
    if (hex_digit(c) < 0)
      return false;
  return true;
}

void append_hex_bytes(std::string& out, std::string_view hex) {
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(hex_digit(hex[i]) * 16 + hex_digit(hex[i + 1])));
}

}  // namespace

std::string packed_id(std::string_view text) {
  std::string token;
  if (is_uuid(text)) {
    token.push_back(kUuid);
    std::string digits;
    for (std::size_t i = 0; i < text.size(); ++i)
      if (!is_dash_at(i))
        digits.push_back(text[i]);
    append_hex_bytes(token, digits);
  } else if (is_packable_hex(text)) {
    token.push_back(kHex);
    token.push_back(static_cast<char>(text.size() / 2));
    append_hex_bytes(token, text);
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

// The token starting at `at`: its whole encoding (kind byte included) and what it decodes to.
struct Token {
  std::string_view encoded;
  std::size_t end = 0;
};

Token token_at(std::string_view data, std::size_t at) {
  auto need = [&](std::size_t end) {
    if (end > data.size())
      throw std::logic_error("a candidate memo token runs past its text");
    return end;
  };
  std::size_t end = 0;
  switch (data[at]) {
    case kUuid:
      end = need(at + 17);
      break;
    case kHex:
      need(at + 2);
      end = need(at + 2 + static_cast<unsigned char>(data[at + 1]));
      break;
    case kText: {
      std::size_t length = 0, pos = at + 1;
      for (int shift = 0;; shift += 7) {
        unsigned char byte = static_cast<unsigned char>(data[need(pos + 1) - 1]);
        ++pos;
        length |= static_cast<std::size_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0)
          break;
      }
      end = need(pos + length);
      break;
    }
    default:
      throw std::logic_error("a candidate memo token of an unknown kind");
  }
  return {data.substr(at, end - at), end};
}

std::string decode(const Token& token) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string_view data = token.encoded;
  std::string text;
  auto append_hex = [&](std::string_view bytes) {
    for (char byte : bytes) {
      auto value = static_cast<unsigned char>(byte);
      text.push_back(kDigits[value >> 4]);
      text.push_back(kDigits[value & 0x0f]);
    }
  };
  if (data[0] == kUuid) {
    append_hex(data.substr(1, 16));
    for (std::size_t dash : kUuidDashes)
      text.insert(dash, 1, '-');
  } else if (data[0] == kHex) {
    append_hex(data.substr(2));
  } else {
    std::size_t pos = 1;
    while (static_cast<unsigned char>(data[pos]) & 0x80)
      ++pos;
    text.assign(data.substr(pos + 1));
  }
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
