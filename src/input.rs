//! Reading entries from arguments and from stdin (or any reader), fully
//! validated before anything reaches the kernel.

use std::io::BufRead;

use crate::addr::{parse_entry, AddrFamily, Entry, SetType};
use crate::error::{Error, Result};

/// Longest input line accepted, in bytes.
pub const MAX_LINE_LEN: usize = 4096;

/// Call `each(text)` for every line of `reader`, as UTF-8 text without the
/// newline. A line longer than [`MAX_LINE_LEN`] or not UTF-8 is an error,
/// and so is an `Err(message)` from `each`; errors name `source_name:line`.
pub fn for_each_line(
    reader: &mut impl BufRead,
    source_name: &str,
    mut each: impl FnMut(&str) -> std::result::Result<(), String>,
) -> Result<()> {
    for_each_line_bytes(reader, source_name, |line| each(utf8(line)?))
}

/// A line as text, or the error [`for_each_line`] reports.
pub fn utf8(line: &[u8]) -> std::result::Result<&str, String> {
    std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8 text".to_string())
}

/// [`for_each_line`] with each line as bytes, which `each` checks itself
/// (with [`utf8`], or by reading only ASCII).
///
/// Lines are handed over straight from the reader's buffer; only a line
/// that straddles two reads is copied. A line found too long is reported
/// without reading the rest of it: it may never end (/dev/zero).
pub fn for_each_line_bytes(
    reader: &mut impl BufRead,
    source_name: &str,
    mut each: impl FnMut(&[u8]) -> std::result::Result<(), String>,
) -> Result<()> {
    // The start of a line that the last read ended inside.
    let mut carry = Vec::new();
    let mut line_no = 0u64;
    let bad = |line: u64, message: String| Error::Input {
        source_name: source_name.to_string(),
        line,
        message,
    };
    let too_long = |line: u64| bad(line, format!("line is longer than {MAX_LINE_LEN} bytes"));
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) => return Err(Error::Usage(format!("reading {source_name}: {e}"))),
        };
        if chunk.is_empty() {
            // A last line without a newline.
            if carry.is_empty() {
                return Ok(());
            }
            line_no += 1;
            return each(&carry).map_err(|m| bad(line_no, m));
        }
        let mut rest = chunk;
        while let Some(end) = newline(rest) {
            line_no += 1;
            if carry.len() + end > MAX_LINE_LEN {
                return Err(too_long(line_no));
            }
            let line = if carry.is_empty() {
                &rest[..end]
            } else {
                carry.extend_from_slice(&rest[..end]);
                &carry[..]
            };
            each(line).map_err(|m| bad(line_no, m))?;
            carry.clear();
            rest = &rest[end + 1..];
        }
        if carry.len() + rest.len() > MAX_LINE_LEN {
            return Err(too_long(line_no + 1));
        }
        carry.extend_from_slice(rest);
        let read = chunk.len();
        reader.consume(read);
    }
}

/// Where the first newline in `bytes` is, looking at eight bytes at a time
/// (list lines are short: most take one or two steps).
fn newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().unwrap_or_default()) ^ (ONES * u64::from(b'\n'));
        // The lowest byte flagged here is the first zero byte of x.
        let zero = x.wrapping_sub(ONES) & !x & (ONES << 7);
        if zero != 0 {
            return Some(at + zero.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = words.remainder().iter().position(|&b| b == b'\n');
    tail.map(|i| at + i)
}

/// Parse a list: one address or network per line; blank lines and text from
/// `#` on are ignored. Errors name `source_name:line`.
pub fn read_list(
    reader: &mut impl BufRead,
    source_name: &str,
    set_type: SetType,
    family: AddrFamily,
) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for_each_line(reader, source_name, |text| {
        let text = text.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            return Ok(());
        }
        let mut tokens = text.split_whitespace();
        let first = tokens.next().unwrap_or("");
        if let Some(extra) = tokens.next() {
            return Err(format!(
                "unexpected '{extra}' after the address (one address per line)"
            ));
        }
        entries.push(parse_entry(first, set_type, family)?);
        Ok(())
    })?;
    Ok(entries)
}

/// Entries from command-line arguments, where `-` stands for stdin.
pub fn read_args(
    args: &[String],
    stdin: &mut impl BufRead,
    set_type: SetType,
    family: AddrFamily,
) -> Result<Vec<Entry>> {
    if args.iter().filter(|a| *a == "-").count() > 1 {
        return Err(Error::Usage("'-' (stdin) may be given only once".into()));
    }
    let mut entries = Vec::new();
    for arg in args {
        if arg == "-" {
            entries.extend(read_list(stdin, "<stdin>", set_type, family)?);
        } else {
            entries.push(parse_entry(arg, set_type, family).map_err(Error::Usage)?);
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> Result<Vec<Entry>> {
        read_list(
            &mut text.as_bytes(),
            "f.txt",
            SetType::HashNet,
            AddrFamily::Inet,
        )
    }

    #[test]
    fn newlines_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![b'x'; len];
                if at < len {
                    bytes[at] = b'\n';
                    bytes[len - 1] = b'\n';
                }
                let want = bytes.iter().position(|&b| b == b'\n');
                assert_eq!(newline(&bytes), want, "{len} {at}");
            }
        }
        assert_eq!(newline(b"\x0b\x8a\x09\x0a"), Some(3));
    }

    #[test]
    fn comments_blanks_and_crlf() {
        let got = list("# header\n10.0.0.1\n\n  10.0.1.0/24  # pods\r\n10.0.0.2").unwrap();
        let shown: Vec<String> = got.iter().map(|e| e.to_string()).collect();
        assert_eq!(shown, ["10.0.0.1", "10.0.1.0/24", "10.0.0.2"]);
        assert_eq!(list("").unwrap(), vec![]);
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = list("10.0.0.1\n\n10.0.0.300\n").unwrap_err().to_string();
        assert_eq!(e, "f.txt:3: '10.0.0.300' is not an IPv4 address");
        let e = list("10.0.0.1 timeout 5\n").unwrap_err().to_string();
        assert!(e.starts_with("f.txt:1: unexpected 'timeout'"), "{e}");
        let long = format!("10.0.0.1\n{}\n10.0.0.2\n", "1".repeat(MAX_LINE_LEN + 1));
        let e = list(&long).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("f.txt:2: line is longer than {MAX_LINE_LEN} bytes")
        );
        let e = read_list(
            &mut &b"\xff\xfe\n"[..],
            "f",
            SetType::HashIp,
            AddrFamily::Inet,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn arguments_and_stdin() {
        let args = vec!["10.0.0.1".to_string(), "-".to_string()];
        let got = read_args(
            &args,
            &mut &b"10.0.0.2\n"[..],
            SetType::HashIp,
            AddrFamily::Inet,
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        let twice = vec!["-".to_string(), "-".to_string()];
        assert!(read_args(&twice, &mut &b""[..], SetType::HashIp, AddrFamily::Inet).is_err());
    }
}
