#include <atsmigrate/model/time.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace atsm::model {
namespace {

constexpr std::int64_t kSecondsPerDay = 86'400;

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar, days
// relative to 1970-01-01): http://howardhinnant.github.io/date_algorithms.html
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(-1).year == 1969 && civil_from_days(-1).day == 31);

constexpr bool is_leap(std::int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Monday = 0 ... Sunday = 6; 1970-01-01 was a Thursday.
constexpr unsigned weekday_from_days(std::int64_t days) {
  return static_cast<unsigned>(days + 3 - floor_div(days + 3, 7) * 7);
}

constexpr unsigned iso_weeks_in_year(std::int64_t y) {
  const unsigned jan1 = weekday_from_days(days_from_civil(y, 1, 1));
  return (jan1 == 3 || (jan1 == 2 && is_leap(y))) ? 53 : 52;
}

// The representable range: 0000-01-01T00:00:00Z up to, not including, 10000-01-01.
constexpr std::int64_t kMinSeconds = days_from_civil(0, 1, 1) * kSecondsPerDay;
constexpr std::int64_t kEndSeconds = days_from_civil(10000, 1, 1) * kSecondsPerDay;

std::string format_utc(std::int64_t epoch_seconds, std::string_view fraction_digits) {
  const std::int64_t days = floor_div(epoch_seconds, kSecondsPerDay);
  const std::int64_t second_of_day = epoch_seconds - days * kSecondsPerDay;
  const CivilDate date = civil_from_days(days);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d", static_cast<int>(date.year),
                static_cast<int>(date.month), static_cast<int>(date.day),
                static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
                static_cast<int>(second_of_day % 60));
  std::string text = buffer;
  if (!fraction_digits.empty()) {
    text += '.';
    text += fraction_digits;
  }
  text += 'Z';
  return text;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  bool eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool eat_any(std::string_view chars) {
    if (pos_ < text_.size() && chars.find(text_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  // How many ASCII digits follow, without consuming them.
  std::size_t digit_run() const {
    std::size_t end = pos_;
    while (end < text_.size() && text_[end] >= '0' && text_[end] <= '9')
      ++end;
    return end - pos_;
  }
  // Consumes exactly `count` digits as a number; false when fewer digits follow.
  bool number(std::size_t count, unsigned& out) {
    if (digit_run() < count)
      return false;
    out = 0;
    for (std::size_t i = 0; i < count; ++i)
      out = out * 10 + static_cast<unsigned>(text_[pos_++] - '0');
    return true;
  }
  std::string_view take_digits() {
    const std::size_t count = digit_run();
    const std::string_view digits = text_.substr(pos_, count);
    pos_ += count;
    return digits;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Days since 1970-01-01 of the date at the scanner; `extended` tells whether '-' separators
// were used (the time part must then use ':').
std::optional<std::int64_t> scan_date(Scanner& scan, bool& extended) {
  unsigned year = 0;
  if (!scan.number(4, year))
    return std::nullopt;
  extended = scan.eat('-');
  if (scan.eat('W')) {
    unsigned week = 0;
    unsigned weekday = 0;
    if (!scan.number(2, week))
      return std::nullopt;
    if (extended && !scan.eat('-'))
      return std::nullopt;
    if (!scan.number(1, weekday))
      return std::nullopt;
    if (week < 1 || week > iso_weeks_in_year(year) || weekday < 1 || weekday > 7) {
      return std::nullopt;
    }
    const std::int64_t jan4 = days_from_civil(year, 1, 4);
    const std::int64_t week1_monday = jan4 - weekday_from_days(jan4);
    return week1_monday + (week - 1) * 7 + (weekday - 1);
  }
  const std::size_t run = scan.digit_run();
  if (run == 3) {
    // Ordinal date: day of the year.
    unsigned day_of_year = 0;
    scan.number(3, day_of_year);
    if (day_of_year < 1 || day_of_year > (is_leap(year) ? 366u : 365u))
      return std::nullopt;
    return days_from_civil(year, 1, 1) + day_of_year - 1;
  }
  unsigned month = 0;
  unsigned day = 0;
  if (!scan.number(2, month))
    return std::nullopt;
  if (extended && !scan.eat('-'))
    return std::nullopt;
  if (!scan.number(2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
    return std::nullopt;
  return days_from_civil(year, month, day);
}

struct Instant {
  std::int64_t epoch_seconds = 0;
  std::string fraction;  // digits after the decimal mark, as written
};

std::optional<Instant> parse_instant(std::string_view text) {
  Scanner scan(text);
  bool extended = false;
  const auto days = scan_date(scan, extended);
  if (!days)
    return std::nullopt;
  if (!scan.eat_any("Tt "))
    return std::nullopt;

  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  bool has_seconds = false;
  if (!scan.number(2, hour))
    return std::nullopt;
  if (extended) {
    if (!scan.eat(':') || !scan.number(2, minute))
      return std::nullopt;
    if (scan.eat(':')) {
      if (!scan.number(2, second))
        return std::nullopt;
      has_seconds = true;
    }
  } else {
    const std::size_t run = scan.digit_run();
    if (run != 2 && run != 4)
      return std::nullopt;
    scan.number(2, minute);
    has_seconds = run == 4 && scan.number(2, second);
  }

  Instant instant;
  if (has_seconds && scan.eat_any(".,")) {
    const std::string_view digits = scan.take_digits();
    if (digits.empty() || digits.size() > 9)
      return std::nullopt;
    instant.fraction = digits;
  }

  std::int64_t offset_seconds = 0;
  if (!scan.eat_any("Zz")) {
    int sign = 0;
    if (scan.eat('+')) {
      sign = 1;
    } else if (scan.eat('-')) {
      sign = -1;
    } else {
      return std::nullopt;  // no offset: the instant is ambiguous
    }
    unsigned offset_hours = 0;
    unsigned offset_minutes = 0;
    if (!scan.number(2, offset_hours))
      return std::nullopt;
    if (scan.eat(':')) {
      if (!scan.number(2, offset_minutes))
        return std::nullopt;
    } else if (scan.digit_run() == 2) {
      scan.number(2, offset_minutes);
    }
    if (offset_hours > 23 || offset_minutes > 59)
      return std::nullopt;
    offset_seconds = sign * static_cast<std::int64_t>(offset_hours * 3600 + offset_minutes * 60);
  }
  if (!scan.at_end())
    return std::nullopt;

  const bool end_of_day = hour == 24 && minute == 0 && second == 0 &&
                          instant.fraction.find_first_not_of('0') == std::string::npos;
  if ((hour > 23 && !end_of_day) || minute > 59 || second > 59)
    return std::nullopt;

  instant.epoch_seconds =
      *days * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset_seconds;
  if (instant.epoch_seconds < kMinSeconds || instant.epoch_seconds >= kEndSeconds) {
    return std::nullopt;
  }
  return instant;
}

}  // namespace

std::string format_epoch_millis(std::int64_t epoch_ms) {
  const std::int64_t seconds = floor_div(epoch_ms, 1000);
  if (seconds < kMinSeconds || seconds >= kEndSeconds) {
    throw std::out_of_range("epoch milliseconds " + std::to_string(epoch_ms) +
                            " is outside years 0000..9999 and has no ISO 8601 form");
  }
  const std::int64_t millis = epoch_ms - seconds * 1000;
  return format_utc(seconds, millis == 0 ? std::string()
                                         : std::string(1, static_cast<char>('0' + millis / 100)) +
                                               static_cast<char>('0' + millis / 10 % 10) +
                                               static_cast<char>('0' + millis % 10));
}

std::string now_timestamp() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return format_epoch_millis(
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

std::optional<std::string> normalize_timestamp(std::string_view text) {
  const auto instant = parse_instant(text);
  if (!instant)
    return std::nullopt;
  return format_utc(instant->epoch_seconds, instant->fraction);
}

std::optional<std::int64_t> timestamp_to_epoch_millis(std::string_view text) {
  const auto instant = parse_instant(text);
  if (!instant)
    return std::nullopt;
  std::int64_t millis = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    millis = millis * 10 + (i < instant->fraction.size() ? instant->fraction[i] - '0' : 0);
  }
  return instant->epoch_seconds * 1000 + millis;
}

bool is_valid_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-')
    return false;
  Scanner scan(text);
  bool extended = false;
  return scan.digit_run() == 4 && scan_date(scan, extended) && extended && scan.at_end();
}

}  // namespace atsm::model
