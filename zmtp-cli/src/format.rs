//! The two ways a message is written as one line, for input and output alike:
//!
//! - `text` (the default): the frames' bytes as they are, separated by a separator string (a
//!   TAB unless `--separator` says otherwise);
//! - `hex`: each frame in lowercase hex, frames separated by a space, an empty frame written
//!   as `-` (input may use upper case and any run of spaces or tabs between frames).

use bytes::Bytes;
use zmtp_tokio::Message;

/// How messages are read and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Format {
    /// Raw frame bytes joined by `separator` (never empty).
    Text {
        /// What separates frames.
        separator: Vec<u8>,
    },
    /// Lowercase hex per frame, ` ` between frames, `-` for an empty frame.
    Hex,
}

impl Default for Format {
    fn default() -> Format {
        Format::Text {
            separator: b"\t".to_vec(),
        }
    }
}

impl Format {
    /// The format named by `--format` (`text` or `hex`, any case) with the `--separator`
    /// given, if any (`\t` in it stands for a TAB and `\\` for a backslash).
    pub(crate) fn from_flags(
        name: Option<&str>,
        separator: Option<&str>,
    ) -> Result<Format, String> {
        let name = name.unwrap_or("text").to_ascii_lowercase();
        match (name.as_str(), separator) {
            ("text", None) => Ok(Format::default()),
            ("text", Some(sep)) => {
                let separator = unescape(sep);
                if separator.is_empty() {
                    return Err("--separator must not be empty".into());
                }
                Ok(Format::Text { separator })
            }
            ("hex", None) => Ok(Format::Hex),
            ("hex", Some(_)) => Err("--separator applies to --format text only".into()),
            (other, _) => Err(format!("unknown format {other:?} (expected text or hex)")),
        }
    }

    /// Parses one line (without its line ending) into a message.
    pub(crate) fn parse(&self, line: &[u8]) -> Result<Message, String> {
        match self {
            Format::Text { separator } => Ok(split(line, separator)
                .into_iter()
                .map(Bytes::copy_from_slice)
                .collect()),
            Format::Hex => {
                let text =
                    std::str::from_utf8(line).map_err(|_| "hex input must be ASCII".to_string())?;
                let frames = text
                    .split_ascii_whitespace()
                    .map(hex_frame)
                    .collect::<Result<Vec<Bytes>, String>>()?;
                if frames.is_empty() {
                    return Err("empty line: a hex message needs at least one frame (`-` is an empty frame)".into());
                }
                Ok(Message::from(frames))
            }
        }
    }

    /// Parses a single frame, such as a subscription topic: as is in text, hex (or `-`) in hex.
    pub(crate) fn parse_frame(&self, text: &str) -> Result<Bytes, String> {
        match self {
            Format::Text { .. } => Ok(Bytes::copy_from_slice(text.as_bytes())),
            Format::Hex => hex_frame(text),
        }
    }

    /// Writes a message as one line, without the line ending.
    pub(crate) fn render(&self, message: &Message) -> Vec<u8> {
        let mut out = Vec::with_capacity(message.byte_len() * 2 + message.len());
        for (i, frame) in message.frames().iter().enumerate() {
            match self {
                Format::Text { separator } => {
                    if i > 0 {
                        out.extend_from_slice(separator);
                    }
                    out.extend_from_slice(frame);
                }
                Format::Hex => {
                    if i > 0 {
                        out.push(b' ');
                    }
                    if frame.is_empty() {
                        out.push(b'-');
                    }
                    for byte in frame.iter() {
                        out.push(HEX_DIGITS[usize::from(byte >> 4)]);
                        out.push(HEX_DIGITS[usize::from(byte & 0xf)]);
                    }
                }
            }
        }
        out
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `\t` → TAB, `\\` → `\`; anything else as written.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'\\') => out.push(b'\\'),
            Some(other) => out.extend_from_slice(&[b'\\', other]),
            None => out.push(b'\\'),
        }
    }
    out
}

/// Splits `line` at every occurrence of `separator` (not empty).
fn split<'a>(line: &'a [u8], separator: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + separator.len() <= line.len() {
        if &line[i..i + separator.len()] == separator {
            parts.push(&line[start..i]);
            i += separator.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(&line[start..]);
    parts
}

/// One frame in hex, `-` for an empty one.
fn hex_frame(token: &str) -> Result<Bytes, String> {
    if token == "-" {
        return Ok(Bytes::new());
    }
    if token.len() % 2 != 0 {
        return Err(format!(
            "odd number of hex digits ({}) in {}",
            token.len(),
            shortened(token)
        ));
    }
    let digit = |c: u8| -> Result<u8, String> {
        (c as char).to_digit(16).map(|d| d as u8).ok_or_else(|| {
            format!(
                "not hex: {} (an empty frame is written -)",
                shortened(token)
            )
        })
    };
    token
        .as_bytes()
        .chunks(2)
        .map(|pair| Ok(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect::<Result<Vec<u8>, String>>()
        .map(Bytes::from)
}

/// A token quoted for an error message: whole when short, else its start, so that a bad
/// megabyte of hex still makes a one-line error.
fn shortened(token: &str) -> String {
    const SHOWN: usize = 32;
    match token.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{:?}... ({} characters)", &token[..end], token.len()),
        None => format!("{token:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(message: &Message) -> Vec<&[u8]> {
        message.frames().iter().map(|f| &f[..]).collect()
    }

    #[test]
    fn text_splits_on_the_separator_and_keeps_empty_frames() {
        let f = Format::default();
        let m = f.parse(b"a\t\tbc").unwrap();
        assert_eq!(frames(&m), [&b"a"[..], b"", b"bc"]);
        assert_eq!(
            frames(&f.parse(b"").unwrap()),
            [&b""[..]],
            "an empty line is one empty frame"
        );
        assert_eq!(f.render(&m), b"a\t\tbc");
    }

    #[test]
    fn text_with_a_longer_separator() {
        let f = Format::from_flags(Some("TEXT"), Some("||")).unwrap();
        let m = f.parse(b"x||y|z||").unwrap();
        assert_eq!(frames(&m), [&b"x"[..], b"y|z", b""]);
        assert_eq!(f.render(&m), b"x||y|z||");
    }

    #[test]
    fn separator_escapes() {
        assert_eq!(
            Format::from_flags(None, Some("\\t")).unwrap(),
            Format::default()
        );
        assert_eq!(
            Format::from_flags(None, Some("a\\\\b")).unwrap(),
            Format::Text {
                separator: b"a\\b".to_vec()
            }
        );
        assert!(Format::from_flags(None, Some("")).is_err());
        assert!(Format::from_flags(Some("hex"), Some(",")).is_err());
        assert!(Format::from_flags(Some("json"), None).is_err());
    }

    #[test]
    fn hex_round_trip_with_an_empty_frame() {
        let f = Format::Hex;
        let m = f.parse(b"6869 -").unwrap();
        assert_eq!(frames(&m), [&b"hi"[..], b""]);
        assert_eq!(f.render(&m), b"6869 -");
        let binary: Message = [Bytes::from_static(&[0x00, 0xff, 0x0a])]
            .into_iter()
            .collect();
        assert_eq!(f.render(&binary), b"00ff0a");
    }

    #[test]
    fn hex_input_is_lenient_about_case_and_spacing_only() {
        let f = Format::Hex;
        assert_eq!(frames(&f.parse(b" 4A\t4b  ").unwrap()), [&b"J"[..], b"K"]);
        assert!(f.parse(b"").is_err(), "no frames");
        assert!(f.parse(b"abc").is_err(), "odd length");
        assert!(f.parse(b"zz").is_err(), "not hex");
        assert!(f.parse(b"--").is_err(), "only a lone - is an empty frame");
        assert!(f.parse(&[0xff]).is_err(), "not ASCII");
    }

    #[test]
    fn single_frames() {
        assert_eq!(Format::Hex.parse_frame("-").unwrap(), Bytes::new());
        assert_eq!(
            Format::Hex.parse_frame("01ab").unwrap(),
            Bytes::from_static(&[1, 0xab])
        );
        assert_eq!(
            Format::default().parse_frame("weather.").unwrap(),
            Bytes::from_static(b"weather.")
        );
    }
}
