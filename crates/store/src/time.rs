//! MediaWiki timestamps: stored as TS_MW (`YYYYMMDDHHMMSS`, UTC), shown as ISO 8601.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// Now as TS_MW.
pub fn now_ts() -> String {
    Utc::now().format("%Y%m%d%H%M%S").to_string()
}

pub fn now_unix() -> i64 {
    Utc::now().timestamp()
}

/// Unix seconds → ISO 8601 (`MWTimestamp::setTimestamp` then TS_ISO_8601); out of range → the epoch.
pub fn unix_to_iso(secs: i64) -> String {
    Utc.timestamp_opt(secs, 0)
        .single()
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// TS_MW → `2025-01-15T10:20:30Z`. Unparseable input is returned unchanged rather than panicking.
pub fn ts_to_iso(ts: &str) -> String {
    match NaiveDateTime::parse_from_str(ts, "%Y%m%d%H%M%S") {
        Ok(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => ts.to_string(),
    }
}

/// Accepts ISO 8601 (`2025-01-15T10:20:30Z`), TS_MW, or unix seconds and returns TS_MW.
pub fn parse_any_ts(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s.to_string());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc).format("%Y%m%d%H%M%S").to_string());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ") {
        return Some(t.format("%Y%m%d%H%M%S").to_string());
    }
    if let Ok(n) = s.parse::<i64>() {
        return Utc.timestamp_opt(n, 0).single().map(|t| t.format("%Y%m%d%H%M%S").to_string());
    }
    None
}

/// TS_MW plus `secs` seconds (used to keep version timestamps strictly increasing).
pub fn ts_add_secs(ts: &str, secs: i64) -> String {
    match NaiveDateTime::parse_from_str(ts, "%Y%m%d%H%M%S") {
        Ok(t) => (t + chrono::Duration::seconds(secs)).format("%Y%m%d%H%M%S").to_string(),
        Err(_) => ts.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn iso_round_trip() {
        assert_eq!(ts_to_iso("20250115102030"), "2025-01-15T10:20:30Z");
        assert_eq!(parse_any_ts("2025-01-15T10:20:30Z").as_deref(), Some("20250115102030"));
        assert_eq!(ts_add_secs("20250115102059", 1), "20250115102100");
        assert_eq!(ts_to_iso("garbage"), "garbage");
    }
}
