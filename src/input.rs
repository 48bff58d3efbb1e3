//! Reading entries from arguments and from stdin (or any reader), fully
//! validated before anything reaches the kernel.

use std::io::BufRead;

use crate::addr::{parse_entry, AddrFamily, Entry, SetType};
use crate::error::{Error, Result};

/// Longest input line accepted, in bytes.
pub const MAX_LINE_LEN: usize = 4096;

/// Read one line of at most `MAX_LINE_LEN` bytes (without the newline);
/// `Ok(None)` at end of input; `Some(true)` for a longer line, which is an
/// error: the rest of it is neither held nor read.
pub(crate) fn read_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut any = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(false));
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > MAX_LINE_LEN {
            // Report it without reading the rest of the line: it may never
            // end (/dev/zero), and the caller stops at this error.
            buf.clear();
            return Ok(Some(true));
        }
        buf.extend_from_slice(&chunk[..take]);
        reader.consume(take + usize::from(done));
        if done {
            return Ok(Some(false));
        }
    }
}

/// Call `each(text)` for every line of `reader`, as UTF-8 text without the
/// newline. A line longer than [`MAX_LINE_LEN`] or not UTF-8 is an error,
/// and so is an `Err(message)` from `each`; errors name `source_name:line`.
pub fn for_each_line(
    reader: &mut impl BufRead,
    source_name: &str,
    mut each: impl FnMut(&str) -> std::result::Result<(), String>,
) -> Result<()> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let bad = |line: u64, message: String| Error::Input {
        source_name: source_name.to_string(),
        line,
        message,
    };
    loop {
        let too_long = match read_line(reader, &mut buf) {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(()),
            Err(e) => return Err(Error::Usage(format!("reading {source_name}: {e}"))),
        };
        line_no += 1;
        if too_long {
            return Err(bad(
                line_no,
                format!("line is longer than {MAX_LINE_LEN} bytes"),
            ));
        }
        let text = std::str::from_utf8(&buf)
            .map_err(|_| bad(line_no, "line is not valid UTF-8 text".into()))?;
        each(text).map_err(|m| bad(line_no, m))?;
    }
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
