//! Unix timestamps as the dates people read, in UTC, without a date library (the worker, the SPA
//! and the emulator all show secret expiry dates).

/// Seconds in a day.
pub const DAY_SECS: u64 = 86_400;

/// `YYYY-MM-DD` (UTC) of a Unix timestamp, by Howard Hinnant's civil-from-days algorithm.
pub fn utc_date(unix_secs: u64) -> String {
    let z = (unix_secs / DAY_SECS) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The Unix timestamp of `YYYY-MM-DD` 00:00 UTC, or `None` if it is not such a date.
pub fn parse_utc_date(text: &str) -> Option<u64> {
    let mut parts = text.trim().splitn(3, '-');
    let mut number = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i64>().ok())
    };
    let (year, month, day) = (number(4)?, number(2)?, number(2)?);
    if !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    // Days from civil (Howard Hinnant), the inverse of `utc_date`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = u64::try_from(days).ok()? * DAY_SECS;
    // 2023-02-30 is not a date: it would come back as another day.
    (utc_date(secs) == text.trim()).then_some(secs)
}

/// Whole days until `expires_at`, partial days rounded up (so "1 day left" until the very end);
/// 0 once it has passed.
pub fn days_left(expires_at: u64, now: u64) -> u64 {
    expires_at.saturating_sub(now).div_ceil(DAY_SECS)
}

/// `YYYY-MM-DD HH:MM UTC` of a Unix timestamp.
pub fn utc_minute(unix_secs: u64) -> String {
    let secs = unix_secs % DAY_SECS;
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(unix_secs),
        secs / 3600,
        secs % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_709_164_800), "2024-02-29");
        assert_eq!(utc_date(1_693_958_400), "2023-09-06");
        assert_eq!(utc_date(4_102_444_799), "2099-12-31");
        assert_eq!(utc_date(253_402_300_799), "9999-12-31");
    }

    #[test]
    fn dates_parse_back_to_their_timestamp() {
        for secs in [0, 951_782_400, 1_709_164_800, 1_693_958_400, 4_102_358_400] {
            assert_eq!(parse_utc_date(&utc_date(secs)), Some(secs));
        }
        for bad in [
            "",
            "2023-9-06",
            "2023-02-30",
            "2023-13-01",
            "2023-00-10",
            "23-09-06",
            "2023/09/06",
            "2023-09-06x",
            "1969-12-31",
        ] {
            assert_eq!(parse_utc_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_left_round_partial_days_up() {
        assert_eq!(days_left(DAY_SECS, 0), 1);
        assert_eq!(days_left(DAY_SECS + 1, 0), 2);
        assert_eq!(days_left(1, 0), 1);
        assert_eq!(days_left(5, 5), 0);
        assert_eq!(days_left(5, 9), 0);
    }

    #[test]
    fn minutes_are_shown_in_utc() {
        assert_eq!(
            utc_minute(1_693_958_400 + 3600 * 13 + 60 * 7 + 59),
            "2023-09-06 13:07 UTC"
        );
    }
}
