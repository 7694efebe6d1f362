//! The few pieces of PHP arithmetic MediaWiki's size logic depends on, done exactly.
//!
//! MediaWiki computes thumbnail sizes with PHP floats (`round($a * $b / $c)`, `ceil`, `floor`).
//! For the integer sizes involved, the float quotient is within one ulp of the exact rational,
//! so rounding the exact rational (half away from zero, as PHP's `round()` does) gives the same
//! integer. Doing it on `i128` rationals avoids any float surprises and any overflow.

/// PHP `round($num / $den)` (half away from zero) for an exact rational. `den` must not be 0.
pub(crate) fn round_div(num: i128, den: i128) -> i128 {
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    if num >= 0 {
        (2 * num + den) / (2 * den)
    } else {
        -((2 * -num + den) / (2 * den))
    }
}

/// PHP `floor($num / $den)`. `den` must not be 0.
pub(crate) fn floor_div(num: i128, den: i128) -> i128 {
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    num.div_euclid(den)
}

/// PHP `ceil($num / $den)`. `den` must not be 0.
pub(crate) fn ceil_div(num: i128, den: i128) -> i128 {
    -floor_div(-num, den)
}

/// `File::scaleHeight()`: the height of a `dst_width`-wide thumbnail of a `src_width` x
/// `src_height` image, `(int)round($srcHeight * $dstWidth / $srcWidth)`, 0 for a 0 width.
pub(crate) fn scale_height(src_width: i64, src_height: i64, dst_width: i64) -> i64 {
    if src_width == 0 {
        0
    } else {
        clamp_i64(round_div(src_height as i128 * dst_width as i128, src_width as i128))
    }
}

/// `MediaHandler::fitBoxWidth()`: the width that makes a `box_width` x `box_height` image at
/// most `max_height` high, rounded up when that still fits.
pub(crate) fn fit_box_width(box_width: i64, box_height: i64, max_height: i64) -> i64 {
    if box_height == 0 {
        // PHP would throw DivisionByZeroError; callers never pass a 0 source height.
        return 0;
    }
    let num = box_width as i128 * max_height as i128;
    let rounded_up = ceil_div(num, box_height as i128);
    if box_width != 0 && round_div(rounded_up * box_height as i128, box_width as i128) > max_height as i128 {
        clamp_i64(floor_div(num, box_height as i128))
    } else {
        clamp_i64(rounded_up)
    }
}

/// PHP `round($x * 1.5)` for an integer `$x` (used for the 1.5x responsive variant).
pub(crate) fn round_times_1_5(x: i64) -> i64 {
    clamp_i64(round_div(x as i128 * 3, 2))
}

fn clamp_i64(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// PHP `rawurlencode()`: everything but `A-Za-z0-9-_.~` percent-encoded, upper-case hex.
pub fn rawurlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from_digit((b >> 4) as u32, 16).unwrap_or('0').to_ascii_uppercase());
            out.push(char::from_digit((b & 15) as u32, 16).unwrap_or('0').to_ascii_uppercase());
        }
    }
    out
}

/// PHP `rawurldecode()`: `%XX` decoded (invalid sequences kept as they are), `+` kept.
pub fn rawurldecode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `FileBackend::extensionFromPath()`: the lower-cased text after the last dot, `''` when the
/// dot is missing or is the first character.
pub(crate) fn extension_from_path(path: &str) -> String {
    match path.rfind('.') {
        Some(i) if i > 0 => path[i + 1..].to_lowercase(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(201, 4), 50);
        assert_eq!(round_div(202, 4), 51);
        assert_eq!(round_div(7, -2), -4);
        assert_eq!(floor_div(-7, 2), -4);
        assert_eq!(ceil_div(-7, 2), -3);
        assert_eq!(ceil_div(7, 2), 4);
    }

    #[test]
    fn scale_height_matches_file_php() {
        assert_eq!(scale_height(400, 300, 120), 90);
        assert_eq!(scale_height(400, 300, 67), 50); // 50.25
        assert_eq!(scale_height(101, 403, 1), 4); // 3.99
        assert_eq!(scale_height(0, 300, 120), 0);
    }

    #[test]
    fn fit_box_width_matches_media_handler() {
        assert_eq!(fit_box_width(400, 300, 50), 67);
        assert_eq!(fit_box_width(101, 403, 50), 12);
        assert_eq!(fit_box_width(400, 300, 0), 0);
        assert_eq!(fit_box_width(240, 320, 2), 1);
        assert_eq!(fit_box_width(400, 300, -5), -6);
    }

    #[test]
    fn url_coding() {
        assert_eq!(
            rawurlencode("20240101000000!Foo bar é.png"),
            "20240101000000%21Foo%20bar%20%C3%A9.png"
        );
        assert_eq!(
            rawurldecode("20240101000000%21Foo%20bar%20%C3%A9.png"),
            "20240101000000!Foo bar é.png"
        );
        assert_eq!(rawurldecode("100%"), "100%");
        assert_eq!(rawurldecode("%zz%4"), "%zz%4");
        assert_eq!(extension_from_path("Foo.JPEG"), "jpeg");
        assert_eq!(extension_from_path(".png"), "");
    }
}
