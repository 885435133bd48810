//! SMS encoding and segment counting (3GPP TS 23.038 / 23.040), for cost
//! reports and receipts.
//!
//! A text that fits the GSM 7-bit default alphabet (basic table plus the
//! extension table, whose characters take two septets) is sent as GSM-7:
//! 160 septets in one SMS, 153 per part when concatenated (the UDH eats 7).
//! Anything else forces UCS-2 for the whole message: 70 UTF-16 units in one
//! SMS, 67 per part. Spanish `á í ó ú` are *not* in GSM-7 (only `é`, `ñ`,
//! `¿`, `¡`, `ü` are), so most Spanish texts are UCS-2. A part never splits
//! an escape pair or a surrogate pair, which is why counts can exceed the
//! naive `ceil(units / 153)`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// How a text travels as SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsEncoding {
    pub encoding: Encoding,
    /// Billable SMS parts; an empty text still costs one.
    pub segments: u32,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: u32,
}

/// GSM 03.38 basic character set (the escape 0x1B excluded).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// GSM 03.38 extension table: each costs an escape septet plus its own.
const GSM_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// Septets a character takes in GSM-7, or `None` if it needs UCS-2.
pub fn gsm7_septets(c: char) -> Option<u32> {
    if c.is_ascii_alphanumeric() || c == ' ' || GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Counts the encoding, units and segments of `text`.
pub fn sms_segments(text: &str) -> SmsEncoding {
    let septets: Option<Vec<u32>> = text.chars().map(gsm7_septets).collect();
    match septets {
        Some(sizes) => pack(Encoding::Gsm7, &sizes, 160, 153),
        None => {
            let sizes: Vec<u32> = text.chars().map(|c| c.len_utf16() as u32).collect();
            pack(Encoding::Ucs2, &sizes, 70, 67)
        }
    }
}

/// Packs indivisible character sizes into parts.
fn pack(encoding: Encoding, sizes: &[u32], single: u32, part: u32) -> SmsEncoding {
    let units: u32 = sizes.iter().sum();
    if units <= single {
        return SmsEncoding {
            encoding,
            segments: 1,
            units,
        };
    }
    let mut segments = 1;
    let mut used = 0;
    for &size in sizes {
        if used + size > part {
            segments += 1;
            used = 0;
        }
        used += size;
    }
    SmsEncoding {
        encoding,
        segments,
        units,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gsm_limits() {
        let e = sms_segments(&"a".repeat(160));
        assert_eq!((e.encoding, e.segments, e.units), (Encoding::Gsm7, 1, 160));
        assert_eq!(sms_segments(&"a".repeat(161)).segments, 2);
        assert_eq!(sms_segments(&"a".repeat(306)).segments, 2);
        assert_eq!(sms_segments(&"a".repeat(307)).segments, 3);
        assert_eq!(sms_segments("").segments, 1);
    }

    #[test]
    fn extension_chars_count_two_and_do_not_split() {
        let e = sms_segments("€");
        assert_eq!((e.encoding, e.units), (Encoding::Gsm7, 2));
        let e = sms_segments(&"{".repeat(80));
        assert_eq!((e.units, e.segments), (160, 1));
        // 152 septets then a 2-septet char: it moves to the next part.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        let e = sms_segments(&text);
        assert_eq!((e.units, e.segments), (164, 2));
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(sms_segments(&text).segments, 3);
    }

    #[test]
    fn spanish() {
        // ñ, ¿, ¡, é are GSM-7.
        assert_eq!(
            sms_segments("¿Señor Pérez? ¡Hola!").encoding,
            Encoding::Gsm7
        );
        // á, í, ó, ú force UCS-2.
        for c in ["á", "í", "ó", "ú", "Á", "ç"] {
            assert_eq!(
                sms_segments(&format!("pago {c}")).encoding,
                Encoding::Ucs2,
                "{c}"
            );
        }
        let e = sms_segments(&"ó".repeat(70));
        assert_eq!((e.encoding, e.segments, e.units), (Encoding::Ucs2, 1, 70));
        assert_eq!(sms_segments(&"ó".repeat(71)).segments, 2);
        assert_eq!(sms_segments(&"ó".repeat(134)).segments, 2);
        assert_eq!(sms_segments(&"ó".repeat(135)).segments, 3);
    }

    #[test]
    fn surrogate_pairs_do_not_split() {
        let e = sms_segments("😀");
        assert_eq!((e.encoding, e.units), (Encoding::Ucs2, 2));
        let text = format!("{}😀{}", "a".repeat(66), "a".repeat(10));
        let e = sms_segments(&text);
        assert_eq!((e.units, e.segments), (78, 2));
    }

    proptest! {
        #[test]
        fn segments_bound(text in "\\PC{0,400}") {
            let e = sms_segments(&text);
            let (single, part) = match e.encoding { Encoding::Gsm7 => (160, 153), Encoding::Ucs2 => (70, 67) };
            if e.units <= single {
                prop_assert_eq!(e.segments, 1);
            } else {
                prop_assert!(e.segments >= e.units.div_ceil(part));
                prop_assert!(e.segments <= e.units.div_ceil(part - 1));
            }
        }
    }
}
