//! A Java `SimpleDateFormat` translator in UTC: compiles a pattern, formats epoch millis and parses leniently.

use std::time::{SystemTime, UNIX_EPOCH};

const MILLIS_PER_DAY: i64 = 86_400_000;
const VALID_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field { letter: char, count: usize },
}

/// A compiled `SimpleDateFormat` pattern in the UTC time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateFormat {
    pattern: String,
    items: Vec<Item>,
}

impl DateFormat {
    /// Compiles a pattern; the error is Java's `IllegalArgumentException` message.
    pub fn new(pattern: &str) -> Result<DateFormat, String> {
        let mut items: Vec<Item> = Vec::new();
        let mut literal = String::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return Err("Unterminated quote".into()),
                        Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                            literal.push('\'');
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(other) => {
                            literal.push(*other);
                            j += 1;
                        }
                    }
                }
                i = j + 1;
                continue;
            }
            if c.is_ascii_alphabetic() {
                if !VALID_LETTERS.contains(c) {
                    return Err(format!("Illegal pattern character '{c}'"));
                }
                let mut count = 1;
                while chars.get(i + count) == Some(&c) {
                    count += 1;
                }
                if c == 'X' && count > 3 {
                    return Err(format!("invalid ISO 8601 format: length={count}"));
                }
                if !literal.is_empty() {
                    items.push(Item::Literal(std::mem::take(&mut literal)));
                }
                items.push(Item::Field { letter: c, count });
                i += count;
                continue;
            }
            literal.push(c);
            i += 1;
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        Ok(DateFormat {
            pattern: pattern.to_string(),
            items,
        })
    }

    /// The pattern as configured (`SimpleDateFormat.toPattern()`).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Formats epoch milliseconds in UTC.
    pub fn format(&self, millis: i64) -> String {
        let t = Broken::from_millis(millis);
        let mut out = String::with_capacity(self.pattern.len() + 8);
        for item in &self.items {
            match item {
                Item::Literal(text) => out.push_str(text),
                Item::Field { letter, count } => t.format_field(*letter, *count, &mut out),
            }
        }
        out
    }

    /// Parses `text` to epoch milliseconds; `None` when it does not match the pattern. Text after the last pattern
    /// element is ignored, as in `DateFormat.parse(String)`.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let mut fields = ParsedFields::default();
        let mut input = text;
        for (index, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(lit) => input = input.strip_prefix(lit.as_str())?,
                Item::Field { letter, count } => {
                    let abutting = matches!(
                        self.items.get(index + 1),
                        Some(Item::Field { letter: next, count: next_count }) if is_numeric(*next, *next_count)
                    );
                    input = fields.parse_field(*letter, *count, input, abutting)?;
                }
            }
        }
        fields.to_millis()
    }
}

fn is_numeric(letter: char, count: usize) -> bool {
    match letter {
        'M' | 'L' => count <= 2,
        'G' | 'E' | 'a' | 'z' | 'Z' | 'X' => false,
        _ => true,
    }
}

/// A UTC instant broken into calendar fields.
struct Broken {
    year: i64,
    month: i64,
    day: i64,
    day_of_year: i64,
    weekday: i64, // 0 = Sunday
    days: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

impl Broken {
    fn from_millis(millis: i64) -> Broken {
        let days = millis.div_euclid(MILLIS_PER_DAY);
        let ms = millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Broken {
            year,
            month,
            day,
            day_of_year: days - days_from_civil(year, 1, 1) + 1,
            weekday: (days + 4).rem_euclid(7),
            days,
            hour: ms / 3_600_000,
            minute: ms / 60_000 % 60,
            second: ms / 1000 % 60,
            millis: ms % 1000,
        }
    }

    fn era_year(&self) -> i64 {
        if self.year <= 0 {
            1 - self.year
        } else {
            self.year
        }
    }

    fn week_of_year(&self) -> i64 {
        let next_jan1 = days_from_civil(self.year + 1, 1, 1);
        let next_wd = (next_jan1 + 4).rem_euclid(7);
        if next_wd != 0 && self.days >= next_jan1 - next_wd {
            return 1;
        }
        let jan1_wd = (days_from_civil(self.year, 1, 1) + 4).rem_euclid(7);
        (self.day_of_year - 1 + jan1_wd) / 7 + 1
    }

    fn format_field(&self, letter: char, count: usize, out: &mut String) {
        let num = |out: &mut String, v: i64, width: usize| {
            let text = v.abs().to_string();
            if v < 0 {
                out.push('-');
            }
            for _ in text.len()..width {
                out.push('0');
            }
            out.push_str(&text);
        };
        match letter {
            'G' => out.push_str(if self.year > 0 { "AD" } else { "BC" }),
            'y' | 'Y' => {
                if count == 2 {
                    num(out, self.era_year() % 100, 2)
                } else {
                    num(out, self.era_year(), count)
                }
            }
            'M' | 'L' => match count {
                1 | 2 => num(out, self.month, count),
                3 => out.push_str(&MONTHS[(self.month - 1) as usize][..3]),
                _ => out.push_str(MONTHS[(self.month - 1) as usize]),
            },
            'w' => num(out, self.week_of_year(), count),
            'W' => {
                let first_wd = (self.days - (self.day - 1) + 4).rem_euclid(7);
                num(out, (self.day - 1 + first_wd) / 7 + 1, count)
            }
            'D' => num(out, self.day_of_year, count),
            'd' => num(out, self.day, count),
            'F' => num(out, (self.day - 1) / 7 + 1, count),
            'E' => {
                let name = DAYS[self.weekday as usize];
                out.push_str(if count >= 4 { name } else { &name[..3] })
            }
            'u' => num(out, if self.weekday == 0 { 7 } else { self.weekday }, count),
            'a' => out.push_str(if self.hour < 12 { "AM" } else { "PM" }),
            'H' => num(out, self.hour, count),
            'k' => num(out, if self.hour == 0 { 24 } else { self.hour }, count),
            'K' => num(out, self.hour % 12, count),
            'h' => num(
                out,
                if self.hour % 12 == 0 {
                    12
                } else {
                    self.hour % 12
                },
                count,
            ),
            'm' => num(out, self.minute, count),
            's' => num(out, self.second, count),
            'S' => num(out, self.millis, count),
            'z' => out.push_str(if count >= 4 {
                "Coordinated Universal Time"
            } else {
                "UTC"
            }),
            'Z' => out.push_str("+0000"),
            'X' => out.push('Z'),
            _ => {}
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum HourKind {
    H0To23,
    K1To24,
    K0To11,
    H1To12,
}

#[derive(Default)]
struct ParsedFields {
    bc: bool,
    year: Option<i64>,
    two_digit_year: bool,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour: Option<(i64, HourKind)>,
    pm: Option<bool>,
    minute: Option<i64>,
    second: Option<i64>,
    millis: Option<i64>,
    offset_millis: Option<i64>,
}

fn skip_blanks(input: &str) -> &str {
    input.trim_start_matches([' ', '\t'])
}

/// Digits at the start of `input`: exactly `width` of them when `fixed`, else as many as there are.
fn take_number(input: &str, fixed: Option<usize>) -> Option<(i64, usize, &str)> {
    let (negative, body) = match input.strip_prefix('-') {
        Some(rest) if fixed.is_none() => (true, rest),
        _ => (false, input),
    };
    let available = body.bytes().take_while(u8::is_ascii_digit).count();
    let len = match fixed {
        Some(width) if available >= width => width,
        Some(_) => return None,
        None => available,
    };
    if len == 0 || len > 18 {
        return None;
    }
    let value: i64 = body[..len].parse().ok()?;
    Some((if negative { -value } else { value }, len, &body[len..]))
}

/// Matches one of `names` (full or three-letter form, case-insensitively) at the start of `input`.
fn take_name<'a>(input: &'a str, names: &[&str]) -> Option<(usize, &'a str)> {
    let lower = input.to_ascii_lowercase();
    for (i, name) in names.iter().enumerate() {
        if lower.starts_with(&name.to_ascii_lowercase()) {
            return Some((i, &input[name.len()..]));
        }
    }
    for (i, name) in names.iter().enumerate() {
        if lower.starts_with(&name[..3].to_ascii_lowercase()) {
            return Some((i, &input[3..]));
        }
    }
    None
}

/// `Z`, `UTC`, `GMT`, `UT`, optionally followed by (or just) `+hh`, `+hhmm`, `+hh:mm`.
fn take_zone(input: &str) -> Option<(i64, &str)> {
    if let Some(rest) = input.strip_prefix('Z') {
        return Some((0, rest));
    }
    let mut rest = input;
    let mut named = false;
    for name in ["UTC", "GMT", "UT"] {
        if let Some(r) = rest.strip_prefix(name) {
            rest = r;
            named = true;
            break;
        }
    }
    let sign = match rest.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ if named => return Some((0, rest)),
        _ => return None,
    };
    rest = &rest[1..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (hours, minutes, after) = match digits {
        1 | 2 => {
            let hours: i64 = rest[..digits].parse().ok()?;
            let after = &rest[digits..];
            match after.strip_prefix(':') {
                Some(m) if m.len() >= 2 && m.as_bytes()[..2].iter().all(u8::is_ascii_digit) => {
                    (hours, m[..2].parse().ok()?, &m[2..])
                }
                _ => (hours, 0, after),
            }
        }
        4 => (
            rest[..2].parse().ok()?,
            rest[2..4].parse().ok()?,
            &rest[4..],
        ),
        _ => return None,
    };
    Some((sign * (hours * 3_600_000 + minutes * 60_000), after))
}

impl ParsedFields {
    fn parse_field<'a>(
        &mut self,
        letter: char,
        count: usize,
        input: &'a str,
        abutting: bool,
    ) -> Option<&'a str> {
        let input = skip_blanks(input);
        if is_numeric(letter, count) {
            let fixed = abutting.then_some(count);
            let (value, len, rest) = take_number(input, fixed)?;
            match letter {
                'y' | 'Y' => {
                    self.year = Some(value);
                    self.two_digit_year = count <= 2 && len == 2 && value >= 0;
                }
                'M' | 'L' => self.month = Some(value),
                'd' => self.day = Some(value),
                'D' => self.day_of_year = Some(value),
                'H' => self.hour = Some((value, HourKind::H0To23)),
                'k' => self.hour = Some((value, HourKind::K1To24)),
                'K' => self.hour = Some((value, HourKind::K0To11)),
                'h' => self.hour = Some((value, HourKind::H1To12)),
                'm' => self.minute = Some(value),
                's' => self.second = Some(value),
                'S' => self.millis = Some(value),
                _ => {} // w, W, F, u: accepted, not used to resolve the date
            }
            return Some(rest);
        }
        match letter {
            'M' | 'L' => {
                let (index, rest) = take_name(input, &MONTHS)?;
                self.month = Some(index as i64 + 1);
                Some(rest)
            }
            'E' => take_name(input, &DAYS).map(|(_, rest)| rest),
            'a' => {
                let upper = input.get(..2)?.to_ascii_uppercase();
                self.pm = Some(match upper.as_str() {
                    "AM" => false,
                    "PM" => true,
                    _ => return None,
                });
                Some(&input[2..])
            }
            'G' => {
                let upper = input.get(..2)?.to_ascii_uppercase();
                self.bc = match upper.as_str() {
                    "AD" => false,
                    "BC" => true,
                    _ => return None,
                };
                Some(&input[2..])
            }
            'z' | 'Z' | 'X' => {
                let (offset, rest) = take_zone(input)?;
                self.offset_millis = Some(offset);
                Some(rest)
            }
            _ => None,
        }
    }

    fn to_millis(&self) -> Option<i64> {
        let mut year = self.year.unwrap_or(1970);
        if self.two_digit_year {
            let start = current_year() - 80;
            year += start.div_euclid(100) * 100;
            if year < start {
                year += 100;
            }
        }
        if self.bc {
            year = 1 - year;
        }
        let days = match (self.day_of_year, self.month, self.day) {
            (Some(doy), None, None) => days_from_civil(year, 1, 1) + doy - 1,
            _ => {
                let month0 = self.month.unwrap_or(1) - 1;
                let y = year + month0.div_euclid(12);
                let m = month0.rem_euclid(12) + 1;
                days_from_civil(y, m, 1) + self.day.unwrap_or(1) - 1
            }
        };
        let pm = self.pm.unwrap_or(false);
        let hour = match self.hour {
            None => {
                if pm {
                    12
                } else {
                    0
                }
            }
            Some((h, HourKind::H0To23)) => h,
            Some((h, HourKind::K1To24)) => {
                if h == 24 {
                    0
                } else {
                    h
                }
            }
            Some((h, HourKind::K0To11)) => h + if pm { 12 } else { 0 },
            Some((h, HourKind::H1To12)) => h % 12 + if pm { 12 } else { 0 },
        };
        let millis = days
            .checked_mul(MILLIS_PER_DAY)?
            .checked_add(hour * 3_600_000)?
            .checked_add(self.minute.unwrap_or(0) * 60_000)?
            .checked_add(self.second.unwrap_or(0) * 1000)?
            .checked_add(self.millis.unwrap_or(0))?;
        millis.checked_sub(self.offset_millis.unwrap_or(0))
    }
}

fn current_year() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    civil_from_days(now.div_euclid(MILLIS_PER_DAY)).0
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(pattern: &str, millis: i64) -> String {
        DateFormat::new(pattern).unwrap().format(millis)
    }

    fn parse(pattern: &str, text: &str) -> Option<i64> {
        DateFormat::new(pattern).unwrap().parse(text)
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 59, 365, 10_957, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn formats_common_patterns() {
        // 1970-01-02 00:00:01.234 UTC, the instant Kafka's TimestampConverterTest uses.
        let t = 86_401_234;
        assert_eq!(
            fmt("yyyy MM dd HH mm ss SSS z", t),
            "1970 01 02 00 00 01 234 UTC"
        );
        assert_eq!(fmt("yyyyMMdd", t), "19700102");
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSZ", t),
            "1970-01-02T00:00:01.234+0000"
        );
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", t),
            "1970-01-02T00:00:01.234Z"
        );
        assert_eq!(
            fmt("yy-M-d h:m:s a", 1_700_000_000_000),
            "23-11-14 10:13:20 PM"
        );
        assert_eq!(
            fmt("EEE, d MMM yyyy", 1_700_000_000_000),
            "Tue, 14 Nov 2023"
        );
        assert_eq!(fmt("EEEE MMMM", 1_700_000_000_000), "Tuesday November");
        assert_eq!(fmt("'at' HH 'o''clock'", 0), "at 00 o'clock");
        assert_eq!(fmt("D S", 5), "1 5");
        assert_eq!(fmt("yyyy-MM-dd", -1), "1969-12-31");
    }

    #[test]
    fn parses_leniently_like_simple_date_format() {
        assert_eq!(
            parse("yyyy MM dd HH mm ss SSS z", "1970 01 02 00 00 01 234 UTC"),
            Some(86_401_234)
        );
        assert_eq!(parse("yyyyMMdd", "19700102"), Some(86_400_000));
        assert_eq!(parse("yyyy-MM-dd", "1970-1-2"), Some(86_400_000));
        assert_eq!(
            parse("yyyy-MM-dd", "1970-01-02 trailing text"),
            Some(86_400_000)
        );
        assert_eq!(
            parse("yyyy-MM-dd", "1970-13-01"),
            Some(days_from_civil(1971, 1, 1) * MILLIS_PER_DAY)
        );
        assert_eq!(
            parse("yyyy-MM-dd'T'HH:mm:ssXXX", "1970-01-01T01:00:00+01:00"),
            Some(0)
        );
        assert_eq!(
            parse("yyyy-MM-dd HH:mm Z", "1970-01-01 00:00 -0100"),
            Some(3_600_000)
        );
        assert_eq!(
            parse("dd MMM yyyy hh a", "02 jan 1970 12 AM"),
            Some(86_400_000)
        );
        assert_eq!(parse("yyyy-MM-dd", "nope"), None);
        assert_eq!(parse("yyyy-MM-dd", "1970/01/02"), None);
    }

    #[test]
    fn rejects_bad_patterns() {
        assert_eq!(
            DateFormat::new("bad-format").unwrap_err(),
            "Illegal pattern character 'b'"
        );
        assert_eq!(
            DateFormat::new("yyyy 'x").unwrap_err(),
            "Unterminated quote"
        );
        assert!(DateFormat::new("XXXX").is_err());
    }
}
