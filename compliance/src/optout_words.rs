//! The words a debtor replies with to stop messages or let them resume,
//! per language. Missing one is a compliance failure, so matching is
//! generous about case, accents, spaces and punctuation ("Baja",
//! " BAJA. ", "no molestar", "No Molestár"), and looks at the first
//! word(s) too ("BAJA por favor").
//!
//! All languages are checked for every reply: a debtor may answer in
//! English to a Spanish message, and carriers impose the English words
//! everywhere.

/// The meaning of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyIntent {
    /// Stop messages on the channel it came in on; `all_channels` for STOPALL.
    OptOut {
        /// Every channel, not only the one the reply came in on.
        all_channels: bool,
    },
    /// START / ALTA / UNSTOP: messages may resume.
    OptIn,
    /// Anything else: a human should read it.
    Message,
}

/// One language's keywords, folded (lower-case ASCII letters and digits,
/// words joined: "no molestar" is `nomolestar`).
struct Keywords {
    /// Stop this channel, as the whole reply or its first one to three words.
    opt_out: &'static [&'static str],
    /// Stop this channel, only as the whole reply: as a first word they
    /// are too common ("End of the month I pay").
    opt_out_whole: &'static [&'static str],
    /// Stop every channel.
    opt_out_all: &'static [&'static str],
    /// Let messages resume.
    opt_in: &'static [&'static str],
}

/// Spanish, as written in Mexico, Colombia, Chile, Peru and Spain.
const SPANISH: Keywords = Keywords {
    opt_out: &[
        "baja",
        "alto",
        "cancelar",
        "nomolestar",
        "darmedebaja",
        "desuscribir",
    ],
    opt_out_whole: &[],
    opt_out_all: &[],
    opt_in: &["alta"],
};

/// English, with the carrier-mandated words (CTIA) and Twilio's extras.
const ENGLISH: Keywords = Keywords {
    opt_out: &["stop", "unsubscribe"],
    opt_out_whole: &["cancel", "end", "quit", "stopstop"],
    opt_out_all: &["stopall"],
    opt_in: &["start", "unstop"],
};

const LANGUAGES: [&Keywords; 2] = [&SPANISH, &ENGLISH];

/// Lower-case ASCII letters and digits of a word, accents folded.
fn fold(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Classifies a reply. The whole text, or its first one, two or three
/// words joined, must be a keyword ("NO MOLESTAR", "dar de baja"); a
/// stop-everything word wins over a stop word, which wins over a resume
/// word.
pub fn classify_reply(text: &str) -> ReplyIntent {
    let words: Vec<String> = text
        .split_whitespace()
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect();
    let candidates: Vec<String> = (1..=3.min(words.len()))
        .map(|n| words[..n].concat())
        .collect();
    let whole = words.concat();
    let leads = |pick: fn(&Keywords) -> &'static [&'static str]| {
        LANGUAGES
            .iter()
            .any(|lang| candidates.iter().any(|c| pick(lang).contains(&c.as_str())))
    };
    let is_whole = |pick: fn(&Keywords) -> &'static [&'static str]| {
        LANGUAGES
            .iter()
            .any(|lang| pick(lang).contains(&whole.as_str()))
    };
    if leads(|l| l.opt_out_all) {
        ReplyIntent::OptOut { all_channels: true }
    } else if leads(|l| l.opt_out) || is_whole(|l| l.opt_out_whole) {
        ReplyIntent::OptOut {
            all_channels: false,
        }
    } else if leads(|l| l.opt_in) {
        ReplyIntent::OptIn
    } else {
        ReplyIntent::Message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_in_any_case_accent_and_spacing() {
        for text in [
            "STOP",
            " stop ",
            "Stop.",
            "BAJA",
            "baja por favor",
            "Alto",
            "CANCELAR",
            "NO MOLESTAR",
            "no  molestar!",
            "No Molestár",
            "unsubscribe",
            "UnSubScribe",
            "báJa",
            "END",
            "Quit",
        ] {
            assert_eq!(
                classify_reply(text),
                ReplyIntent::OptOut {
                    all_channels: false
                },
                "{text}"
            );
        }
        for text in ["STOPALL", "stopall", " StopAll "] {
            assert_eq!(
                classify_reply(text),
                ReplyIntent::OptOut { all_channels: true },
                "{text}"
            );
        }
        for text in ["START", "alta", "Unstop", " ÁLTA "] {
            assert_eq!(classify_reply(text), ReplyIntent::OptIn, "{text}");
        }
        for text in [
            "",
            "hola, ya pagué",
            "¿cuánto debo?",
            "no puedo pagar",
            "stopping by later? no",
            "end of month I pay",
        ] {
            assert_eq!(classify_reply(text), ReplyIntent::Message, "{text}");
        }
    }
}
