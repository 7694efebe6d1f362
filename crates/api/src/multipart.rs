//! A PHP-forgiving, streaming `multipart/form-data` parser (spec §1.2, §1.3).
//!
//! What it accepts, and why:
//!
//! * **Line endings.** CRLF and bare LF everywhere: after a boundary line, in part headers and before
//!   the next boundary (pywikibot builds its bodies with Python's `email` package, which writes LF).
//! * **Delimiters.** As in PHP's `rfc1867.c`, a part's data ends at `\n--boundary`. Exactly one line
//!   break in front of the boundary is stripped: `\r\n` if present, else `\n`. No other data byte is
//!   ever removed, so pywikibot's T132676 workaround (an extra `\r` before a bare-LF delimiter) yields
//!   the chunk exactly. Unlike PHP, `\n--boundary` only counts as a delimiter when it is followed by
//!   a line break, transport padding (spaces/tabs) or `--`; anything else (`\n--boundaryX`) is data.
//!   A part that has headers but no blank line before the next boundary is accepted as empty.
//! * **Preamble and epilogue** are ignored. Parsing stops at the closing `--boundary--`; the rest of
//!   the body stream is not read.
//! * **Part headers.** Names are case-insensitive; folded lines (and, as in PHP, lines without a colon)
//!   continue the previous header. Only `Content-Disposition` is looked at (the first one); the
//!   part's `Content-Type`, `MIME-Version`, `Content-Transfer-Encoding`, ... are ignored.
//!   `name`/`filename` are parsed like PHP's `php_ap_getword_conf`: quoted with `"` or `'` (with
//!   backslash escapes of the quote and of the backslash) or unquoted up to whitespace. `filename*`
//!   is not `filename` (PHP ignores it too).
//! * **Files versus fields** are decided only by the presence of `filename=`. `filename=""` means
//!   "no file" (PHP's `UPLOAD_ERR_NO_FILE`): the part is dropped. A part without a (non-empty) `name`
//!   is skipped.
//! * **Errors.** A body that ends before the closing boundary is [`MultipartError::Truncated`] (PHP would
//!   silently keep the complete parts). Values are not NFC-normalized here; that is the caller's job (§1.2).
//!
//! Memory stays bounded whatever the part sizes: the body is processed as it arrives and only the
//! current body chunk plus an undecided tail is buffered (at most the boundary length + 5 bytes in part
//! data, at most [`Limits::max_header_bytes`] in a header block). File parts are
//! written through a buffered writer to a temp file in the spool directory while their SHA-1 is
//! computed in the same pass; field values are bounded by [`Limits::max_field_bytes`].

use std::path::Path;

use futures_util::{Stream, StreamExt};
use memchr::memmem;
use sha1::{Digest, Sha1};
use tokio::io::{AsyncWriteExt, BufWriter};

/// Limits applied while parsing.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Per file part; exceeding it -> [`MultipartError::FileTooLarge`] (reading stops, the temp file is deleted).
    pub max_file_bytes: u64,
    /// Per ordinary field value (e.g. 4 MiB).
    pub max_field_bytes: usize,
    /// All ordinary field values together (e.g. 8 MiB): memory per request stays bounded.
    pub max_text_bytes: usize,
    /// Number of parts, e.g. 1000.
    pub max_parts: usize,
    /// Number of file parts (PHP's `max_file_uploads`), e.g. 20.
    pub max_file_parts: usize,
    /// Per part header block, e.g. 16 KiB.
    pub max_header_bytes: usize,
}

/// A file part, spooled to a temp file in `spool_dir` while its SHA-1 was computed in the same pass.
#[derive(Debug)]
pub struct FilePart {
    /// The form field name ("file", "chunk").
    pub name: String,
    /// The part's `filename=` (ignored by MediaWiki but kept for logs).
    pub client_filename: String,
    pub size: u64,
    pub sha1: [u8; 20],
    /// Deleted on drop unless persisted/renamed by the caller (`TempPath::persist` / `keep`).
    pub path: tempfile::TempPath,
}

/// The parsed body, in arrival order.
#[derive(Debug)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub files: Vec<FilePart>,
    /// File parts written straight to a destination a [`Router`] chose (never spooled).
    pub direct: Vec<DirectPart>,
}

/// A destination for one file part, chosen by the caller while the body streams: the bytes go
/// straight into `sink` (already positioned where they belong), continuing `hasher`. Used to
/// append a chunk to its upload session without spooling it first.
pub struct Direct {
    pub sink: Box<dyn mwupload_store::BlobAppend>,
    pub hasher: Option<Sha1>,
    /// Whether the part's own SHA-1 is wanted too ([`DirectPart::sha1`]); else each byte is
    /// hashed once, by `hasher`.
    pub part_sha1: bool,
    /// Held until the request is done (e.g. the session's write lock).
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

/// A file part that was written to a [`Direct`] destination.
pub struct DirectPart {
    pub name: String,
    pub size: u64,
    /// SHA-1 of this part alone, if [`Direct::part_sha1`] asked for it.
    pub sha1: Option<[u8; 20]>,
    /// The continued hasher (covers everything before the part, then the part).
    pub hasher: Option<Sha1>,
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for DirectPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectPart")
            .field("name", &self.name)
            .field("size", &self.size)
            .finish()
    }
}

/// Chooses, when a file part starts, whether it goes to a [`Direct`] destination instead of the
/// spool, given the part's name and the fields that arrived before it.
pub trait Router: Send {
    /// Whether the file part `part` may be stored at all, given the fields before it. A part
    /// refused here is read and thrown away, and handed on as an empty file: the request is
    /// answered as it would be with the bytes (e.g. `mustbeloggedin`, `badtoken`), but an
    /// unauthenticated client never makes the server store its bytes.
    fn spool_allowed(&self, _part: &str, _fields: &[(String, String)]) -> bool {
        true
    }

    fn route<'a>(
        &'a mut self,
        part: &'a str,
        fields: &'a [(String, String)],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<Direct>> + Send + 'a>>;
}

#[derive(Debug, thiserror::Error)]
pub enum MultipartError {
    /// The body ended before the closing boundary.
    #[error("the request body ended before the closing multipart boundary")]
    Truncated,
    #[error("the file part \"{field}\" is larger than {limit} bytes")]
    FileTooLarge { field: String, limit: u64 },
    #[error("the form field \"{field}\" is too large")]
    FieldTooLarge { field: String },
    #[error("the multipart body has too many parts")]
    TooManyParts,
    #[error("the multipart body has too many file parts")]
    TooManyFiles,
    #[error("the form fields of the multipart body are too large together")]
    TextTooLarge,
    /// No boundary found, bad part headers, ...
    #[error("malformed multipart body: {0}")]
    Malformed(String),
    /// Error from the body stream (client disconnected).
    #[error("error reading the request body: {0}")]
    Body(String),
    #[error("I/O error while spooling an upload: {0}")]
    Io(#[from] std::io::Error),
}

/// Longest boundary accepted (RFC 2046 allows 70 characters).
const MAX_BOUNDARY_LEN: usize = 256;
/// Capacity of the buffered writer of a file part.
const FILE_WRITE_BUF: usize = 128 * 1024;

/// C's `isspace`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| is_space(c)).count();
    &s[n..]
}

fn trim(s: &[u8]) -> &[u8] {
    let s = trim_start(s);
    let n = s.iter().rev().take_while(|&&c| is_space(c)).count();
    &s[..s.len() - n]
}

fn lossy(v: Vec<u8>) -> String {
    match String::from_utf8(v) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn valid_boundary(b: &str) -> bool {
    !b.is_empty() && b.len() <= MAX_BOUNDARY_LEN && !b.bytes().any(|c| c == b'\r' || c == b'\n')
}

/// Extract the boundary from a Content-Type header value: `multipart/form-data; boundary=abc`, quoted
/// `boundary="===============123=="`, any case of the parameter name, extra params, whitespace.
pub fn boundary_from_content_type(content_type: &str) -> Option<String> {
    let b = content_type.as_bytes();
    let mut i = memchr::memchr(b';', b)? + 1;
    loop {
        while i < b.len() && (is_space(b[i]) || b[i] == b';') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let name_start = i;
        while i < b.len() && b[i] != b'=' && b[i] != b';' {
            i += 1;
        }
        let name = trim(&b[name_start..i]);
        if i >= b.len() || b[i] == b';' {
            continue; // a parameter without a value
        }
        i += 1; // '='
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        let mut value = Vec::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            let mut closed = false;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    b'\\' if i + 1 < b.len() => {
                        value.push(b[i + 1]);
                        i += 2;
                    }
                    c => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
            if !closed {
                value.clear();
            }
        } else {
            while i < b.len() && !is_space(b[i]) && b[i] != b';' && b[i] != b',' {
                value.push(b[i]);
                i += 1;
            }
        }
        if name.eq_ignore_ascii_case(b"boundary") {
            let v = String::from_utf8(value).ok()?;
            return valid_boundary(&v).then_some(v);
        }
        // Skip whatever is left of this parameter.
        while i < b.len() && b[i] != b';' {
            i += 1;
        }
    }
}

/// PHP's `php_ap_getword`: the text up to `stop` (quotes respected), and the rest after the stop byte(s).
fn getword(line: &[u8], stop: u8) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < line.len() && line[i] != stop {
        let q = line[i];
        if q == b'"' || q == b'\'' {
            i += 1;
            while i < line.len() && line[i] != q {
                if line[i] == b'\\' && i + 1 < line.len() && line[i + 1] == q {
                    i += 2;
                } else {
                    i += 1;
                }
            }
            if i < line.len() {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    let word = &line[..i];
    while i < line.len() && line[i] == stop {
        i += 1;
    }
    (word, &line[i..])
}

/// PHP's `php_ap_getword_conf` + `substring_conf`: a quoted or unquoted parameter value.
fn getword_conf(s: &[u8]) -> Vec<u8> {
    let s = trim_start(s);
    let (body, quote) = match s.first() {
        None => return Vec::new(),
        Some(&q @ (b'"' | b'\'')) => (&s[1..], Some(q)),
        Some(_) => {
            let end = s.iter().position(|&c| is_space(c)).unwrap_or(s.len());
            (&s[..end], None)
        }
    };
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if Some(c) == quote {
            break;
        }
        if c == b'\\' && i + 1 < body.len() && (body[i + 1] == b'\\' || Some(body[i + 1]) == quote) {
            out.push(body[i + 1]);
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `name` and `filename` of a Content-Disposition value (PHP's loop in `rfc1867_post_handler`).
fn parse_content_disposition(v: &[u8]) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let (mut name, mut filename) = (None, None);
    let mut rest = trim_start(v);
    while !rest.is_empty() {
        let (pair, r) = getword(rest, b';');
        rest = trim_start(r);
        if pair.contains(&b'=') {
            let (key, value) = getword(pair, b'=');
            let key = trim(key);
            if key.eq_ignore_ascii_case(b"name") {
                name = Some(getword_conf(value));
            } else if key.eq_ignore_ascii_case(b"filename") {
                filename = Some(getword_conf(value));
            }
        }
    }
    (name, filename)
}

/// What follows `--boundary`.
enum Look {
    Delim { closing: bool },
    NotDelim,
    NeedMore,
}

fn lookahead(s: &[u8], eof: bool) -> Look {
    match s.first() {
        Some(b' ' | b'\t' | b'\r' | b'\n') => Look::Delim { closing: false },
        Some(b'-') => match s.get(1) {
            Some(b'-') => Look::Delim { closing: true },
            Some(_) => Look::NotDelim,
            None if eof => Look::NotDelim,
            None => Look::NeedMore,
        },
        Some(_) => Look::NotDelim,
        None if eof => Look::NotDelim,
        None => Look::NeedMore,
    }
}

enum Scan {
    /// A delimiter: the data is `[pos..data_end)` (line break stripped); the boundary text ends at `after`.
    Found { data_end: usize, after: usize, closing: bool },
    /// `[pos..safe)` is certainly data; the bytes from `safe` on must wait for more input.
    More { safe: usize },
}

struct Scanner {
    /// `\n--boundary`
    delim: Vec<u8>,
    finder: memmem::Finder<'static>,
}

impl Scanner {
    fn new(boundary: &str) -> Scanner {
        let mut delim = b"\n--".to_vec();
        delim.extend_from_slice(boundary.as_bytes());
        let finder = memmem::Finder::new(&delim).into_owned();
        Scanner { delim, finder }
    }

    /// `--boundary`
    fn dash(&self) -> &[u8] {
        &self.delim[1..]
    }

    /// Look for the next delimiter in `buf[pos..]`. `line_start` says that the byte before `pos` was a
    /// line feed consumed elsewhere (start of the body, or of a part's data), so `--boundary` right at
    /// `pos` is a delimiter too; it is cleared once that has been ruled out.
    fn scan(&self, buf: &[u8], pos: usize, line_start: &mut bool, eof: bool) -> Scan {
        if *line_start {
            let dash = self.dash();
            let avail = &buf[pos..];
            let n = avail.len().min(dash.len());
            if avail[..n] != dash[..n] {
                *line_start = false;
            } else if n < dash.len() {
                if !eof {
                    return Scan::More { safe: pos };
                }
                *line_start = false;
            } else {
                match lookahead(&avail[dash.len()..], eof) {
                    Look::Delim { closing } => {
                        return Scan::Found {
                            data_end: pos,
                            after: pos + dash.len(),
                            closing,
                        };
                    }
                    Look::NeedMore => return Scan::More { safe: pos },
                    Look::NotDelim => *line_start = false,
                }
            }
        }
        let mut from = pos;
        let candidate = loop {
            match self.finder.find(&buf[from..]) {
                Some(off) => {
                    let i = from + off;
                    let after = i + self.delim.len();
                    match lookahead(&buf[after..], eof) {
                        Look::Delim { closing } => {
                            // Strip exactly one line break: the `\n` is part of `delim`, plus one `\r` before it.
                            let data_end = if i > pos && buf[i - 1] == b'\r' { i - 1 } else { i };
                            return Scan::Found { data_end, after, closing };
                        }
                        Look::NotDelim => from = i + 1,
                        Look::NeedMore => break i,
                    }
                }
                None => break self.partial_suffix(buf, from),
            }
        };
        // Hold back a `\r` that may turn out to be part of the line break before the delimiter.
        let safe = if candidate > pos && buf[candidate - 1] == b'\r' {
            candidate - 1
        } else {
            candidate
        };
        Scan::More { safe }
    }

    /// Start of the longest suffix of `buf[from..]` that is a proper prefix of the delimiter, or `buf.len()`.
    fn partial_suffix(&self, buf: &[u8], from: usize) -> usize {
        let start = from.max(buf.len().saturating_sub(self.delim.len() - 1));
        // The boundary has no line feed, so a candidate starts at a `\n`.
        let mut j = start;
        while let Some(off) = memchr::memchr(b'\n', &buf[j..]) {
            let k = j + off;
            if self.delim.starts_with(&buf[k..]) {
                return k;
            }
            j = k + 1;
        }
        buf.len()
    }
}

/// The header block of the part being read.
struct Headers {
    used: usize,
    list: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Headers {
    fn new() -> Headers {
        Headers { used: 0, list: Vec::new() }
    }

    /// One header line (line break removed), like PHP's `multipart_buffer_headers`.
    fn push_line(&mut self, line: &[u8]) {
        let colon = if line[0] == b' ' || line[0] == b'\t' {
            None
        } else {
            memchr::memchr(b':', line)
        };
        match colon {
            Some(c) => self.list.push((trim(&line[..c]).to_vec(), trim_start(&line[c + 1..]).to_vec())),
            // A folded line, or (as in PHP) a line without a colon: continues the previous header.
            None => {
                if let Some(last) = self.list.last_mut() {
                    last.1.extend_from_slice(line);
                }
            }
        }
    }

    fn content_disposition(&self) -> Option<&[u8]> {
        self.list
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(b"content-disposition"))
            .map(|(_, v)| v.as_slice())
    }
}

struct FileSink {
    name: String,
    client_filename: String,
    /// This part's own SHA-1 (None: not wanted, see [`Direct::part_sha1`]).
    hasher: Option<Sha1>,
    size: u64,
    writer: PartWriter,
    /// The spool file, or None when the part goes to a routed destination.
    path: Option<tempfile::TempPath>,
    routed: Option<(Option<Sha1>, Box<dyn std::any::Any + Send + Sync>)>,
}

/// Where a file part's bytes are written.
enum PartWriter {
    Spool(BufWriter<tokio::fs::File>),
    Routed(Box<dyn mwupload_store::BlobAppend>),
}

impl PartWriter {
    async fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            PartWriter::Spool(w) => w.write_all(data).await,
            PartWriter::Routed(s) => s.write(data).await,
        }
    }

    /// Flushes; a routed part is also made durable. A spool file is not fsynced here: it is
    /// scratch until the blob store takes it (`BlobStore::put_file` makes it durable in place,
    /// where one fsync also covers its rename; an S3 store uploads it and never needs it on disk).
    async fn finish(self) -> std::io::Result<()> {
        match self {
            PartWriter::Spool(mut w) => w.flush().await,
            PartWriter::Routed(s) => s.finish().await.map(|_| ()),
        }
    }
}

/// Where the data of the current part goes.
enum Sink {
    Discard,
    /// A file part the router refused to store: its bytes are counted and dropped.
    Withheld {
        name: String,
        client_filename: String,
        size: u64,
    },
    Field {
        name: String,
        value: Vec<u8>,
    },
    File(Box<FileSink>),
}

impl Sink {
    async fn open(
        headers: &Headers,
        spool_dir: &Path,
        fields: &[(String, String)],
        router: Option<&mut (dyn Router + '_)>,
        limits: &Limits,
        file_parts: &mut usize,
    ) -> Result<Sink, MultipartError> {
        let (name, filename) = headers.content_disposition().map(parse_content_disposition).unwrap_or((None, None));
        let name = match name {
            Some(n) if !n.is_empty() => lossy(n),
            _ => return Ok(Sink::Discard),
        };
        match filename {
            None => Ok(Sink::Field { name, value: Vec::new() }),
            Some(f) if f.is_empty() => Ok(Sink::Discard),
            Some(f) => {
                *file_parts += 1;
                if *file_parts > limits.max_file_parts {
                    return Err(MultipartError::TooManyFiles);
                }
                if let Some(r) = router.as_ref()
                    && !r.spool_allowed(&name, fields)
                {
                    return Ok(Sink::Withheld {
                        name,
                        client_filename: lossy(f),
                        size: 0,
                    });
                }
                if let Some(router) = router
                    && let Some(d) = router.route(&name, fields).await
                {
                    return Ok(Sink::File(Box::new(FileSink {
                        name,
                        client_filename: lossy(f),
                        hasher: d.part_sha1.then(Sha1::new),
                        size: 0,
                        writer: PartWriter::Routed(d.sink),
                        path: None,
                        routed: Some((d.hasher, d.guard)),
                    })));
                }
                let dir = spool_dir.to_path_buf();
                let named = tokio::task::spawn_blocking(move || tempfile::Builder::new().prefix(".mwupload-").tempfile_in(dir))
                    .await
                    .map_err(std::io::Error::other)??;
                let (file, path) = named.into_parts();
                Ok(Sink::File(Box::new(FileSink {
                    name,
                    client_filename: lossy(f),
                    hasher: Some(Sha1::new()),
                    size: 0,
                    writer: PartWriter::Spool(BufWriter::with_capacity(FILE_WRITE_BUF, tokio::fs::File::from_std(file))),
                    path: Some(path),
                    routed: None,
                })))
            }
        }
    }

    async fn write(&mut self, data: &[u8], limits: &Limits, text_total: &mut usize) -> Result<(), MultipartError> {
        if data.is_empty() {
            return Ok(());
        }
        match self {
            Sink::Discard => {}
            Sink::Withheld { name, size, .. } => {
                *size = size.saturating_add(data.len() as u64);
                if *size > limits.max_file_bytes {
                    return Err(MultipartError::FileTooLarge {
                        field: name.clone(),
                        limit: limits.max_file_bytes,
                    });
                }
            }
            Sink::Field { name, value } => {
                if value.len().saturating_add(data.len()) > limits.max_field_bytes {
                    return Err(MultipartError::FieldTooLarge { field: name.clone() });
                }
                *text_total = text_total.saturating_add(data.len());
                if *text_total > limits.max_text_bytes {
                    return Err(MultipartError::TextTooLarge);
                }
                value.extend_from_slice(data);
            }
            Sink::File(f) => {
                let size = f.size.saturating_add(data.len() as u64);
                if size > limits.max_file_bytes {
                    return Err(MultipartError::FileTooLarge {
                        field: f.name.clone(),
                        limit: limits.max_file_bytes,
                    });
                }
                if let Some(h) = f.hasher.as_mut() {
                    h.update(data);
                }
                if let Some((Some(h), _)) = f.routed.as_mut() {
                    h.update(data);
                }
                f.writer.write_all(data).await?;
                f.size = size;
            }
        }
        Ok(())
    }

    async fn finish(self, form: &mut Form, spool_dir: std::path::PathBuf) -> Result<(), MultipartError> {
        match self {
            Sink::Discard => {}
            Sink::Withheld { name, client_filename, .. } => {
                let named = tokio::task::spawn_blocking(move || tempfile::Builder::new().prefix(".mwupload-").tempfile_in(spool_dir))
                    .await
                    .map_err(std::io::Error::other)??;
                form.files.push(FilePart {
                    name,
                    client_filename,
                    size: 0,
                    sha1: Sha1::digest(b"").into(),
                    path: named.into_temp_path(),
                });
            }
            Sink::Field { name, value } => form.fields.push((name, lossy(value))),
            Sink::File(f) => {
                f.writer.finish().await?;
                let sha1 = f.hasher.map(|h| {
                    let mut sha1 = [0u8; 20];
                    sha1.copy_from_slice(&h.finalize());
                    sha1
                });
                match (f.path, f.routed) {
                    (Some(path), _) => form.files.push(FilePart {
                        name: f.name,
                        client_filename: f.client_filename,
                        size: f.size,
                        // (A spooled part is always hashed.)
                        sha1: sha1.unwrap_or_else(|| Sha1::digest(b"").into()),
                        path,
                    }),
                    (None, Some((hasher, guard))) => form.direct.push(DirectPart {
                        name: f.name,
                        size: f.size,
                        sha1,
                        hasher,
                        guard,
                    }),
                    (None, None) => {}
                }
            }
        }
        Ok(())
    }
}

enum State {
    /// Before the first boundary: discard.
    Preamble {
        line_start: bool,
    },
    /// Right after a (non-closing) `--boundary`: padding, then a line break.
    AfterBoundary,
    Headers(Headers),
    Body {
        sink: Sink,
        line_start: bool,
    },
    Done,
}

/// Internal measurements, for the tests.
#[derive(Debug, Default)]
struct Stats {
    /// Largest the input window ever was.
    max_window: usize,
    /// Bytes copied to join an undecided tail with the next piece of the body.
    joined: usize,
}

/// Parse the whole body. File parts (decided ONLY by the presence of `filename=` in Content-Disposition, as PHP does)
/// stream to temp files created in `spool_dir` (so the caller can rename them into permanent storage on the same filesystem);
/// the temp file is flushed, not fsynced (the blob store makes it durable where it keeps it). A file part with `filename=""` is treated as absent (dropped, like PHP's
/// UPLOAD_ERR_NO_FILE). Field values are decoded as UTF-8 lossily. On any error every temp file created so far is removed.
pub async fn parse<S, E>(body: S, boundary: &str, spool_dir: &Path, limits: &Limits) -> Result<Form, MultipartError>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    parse_inner(body, boundary, spool_dir, limits, None, &mut Stats::default()).await
}

/// Like [`parse`], but asks `router` where each file part should go before writing it.
pub async fn parse_routed<S, E>(
    body: S,
    boundary: &str,
    spool_dir: &Path,
    limits: &Limits,
    router: &mut (dyn Router + '_),
) -> Result<Form, MultipartError>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    parse_inner(body, boundary, spool_dir, limits, Some(router), &mut Stats::default()).await
}

async fn parse_inner<S, E>(
    mut body: S,
    boundary: &str,
    spool_dir: &Path,
    limits: &Limits,
    mut router: Option<&mut (dyn Router + '_)>,
    stats: &mut Stats,
) -> Result<Form, MultipartError>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    if !valid_boundary(boundary) {
        return Err(MultipartError::Malformed("invalid boundary".into()));
    }
    let scanner = Scanner::new(boundary);
    let dash_len = scanner.dash().len();
    // Dropping `form` (or a `Sink::File` inside `state`) on an error path deletes the temp files.
    let mut form = Form {
        fields: Vec::new(),
        files: Vec::new(),
        direct: Vec::new(),
    };
    // The undecided input: usually the body's own piece as it arrived (no copy); only a short
    // undecided tail (part of a possible delimiter, a header line) is ever copied in front of
    // the next piece. Copying every piece into one growing buffer cost a pass over every byte
    // and fresh memory (page faults) for every request (docs/benchmarks.md).
    let mut buf = bytes::Bytes::new();
    let mut pos = 0usize;
    let mut eof = false;
    let mut parts = 0usize;
    let mut text_total = 0usize;
    let mut file_parts = 0usize;
    let mut state = State::Preamble { line_start: true };

    let start_part = |parts: &mut usize| -> Result<State, MultipartError> {
        *parts += 1;
        if *parts > limits.max_parts {
            return Err(MultipartError::TooManyParts);
        }
        Ok(State::Headers(Headers::new()))
    };

    loop {
        // Advance the state machine over the buffered input until it needs more.
        loop {
            state = match state {
                State::Done => return Ok(form),
                State::Preamble { mut line_start } => match scanner.scan(&buf, pos, &mut line_start, eof) {
                    Scan::Found { after, closing, .. } => {
                        pos = after;
                        if closing { State::Done } else { State::AfterBoundary }
                    }
                    Scan::More { safe } => {
                        pos = safe;
                        state = State::Preamble { line_start };
                        break;
                    }
                },
                State::AfterBoundary => {
                    while pos < buf.len() && (buf[pos] == b' ' || buf[pos] == b'\t') {
                        pos += 1;
                    }
                    match (buf.get(pos), buf.get(pos + 1)) {
                        (None, _) | (Some(b'\r'), None) => {
                            state = State::AfterBoundary;
                            break;
                        }
                        (Some(b'\n'), _) => {
                            pos += 1;
                            start_part(&mut parts)?
                        }
                        (Some(b'\r'), Some(b'\n')) => {
                            pos += 2;
                            start_part(&mut parts)?
                        }
                        _ => return Err(MultipartError::Malformed("unexpected characters after a boundary".into())),
                    }
                }
                State::Headers(mut h) => match memchr::memchr(b'\n', &buf[pos..]) {
                    None => {
                        if h.used.saturating_add(buf.len() - pos) > limits.max_header_bytes {
                            return Err(MultipartError::Malformed("part header block too large".into()));
                        }
                        state = State::Headers(h);
                        break;
                    }
                    Some(off) => {
                        h.used += off + 1;
                        if h.used > limits.max_header_bytes {
                            return Err(MultipartError::Malformed("part header block too large".into()));
                        }
                        let mut line = &buf[pos..pos + off];
                        if line.last() == Some(&b'\r') {
                            line = &line[..line.len() - 1];
                        }
                        pos += off + 1;
                        if line.is_empty() {
                            State::Body {
                                sink: Sink::open(&h, spool_dir, &form.fields, router.as_deref_mut(), limits, &mut file_parts).await?,
                                line_start: true,
                            }
                        } else if line.starts_with(scanner.dash()) {
                            // A boundary inside the header block: a part with headers but no data.
                            let rest = &line[dash_len..];
                            let closing = rest.starts_with(b"--");
                            if closing || rest.iter().all(|&c| c == b' ' || c == b'\t') {
                                Sink::open(&h, spool_dir, &form.fields, router.as_deref_mut(), limits, &mut file_parts)
                                    .await?
                                    .finish(&mut form, spool_dir.to_path_buf())
                                    .await?;
                                if closing { State::Done } else { start_part(&mut parts)? }
                            } else {
                                h.push_line(line);
                                State::Headers(h)
                            }
                        } else {
                            h.push_line(line);
                            State::Headers(h)
                        }
                    }
                },
                State::Body { mut sink, mut line_start } => match scanner.scan(&buf, pos, &mut line_start, eof) {
                    Scan::Found { data_end, after, closing } => {
                        sink.write(&buf[pos..data_end], limits, &mut text_total).await?;
                        sink.finish(&mut form, spool_dir.to_path_buf()).await?;
                        pos = after;
                        if closing { State::Done } else { State::AfterBoundary }
                    }
                    Scan::More { safe } => {
                        sink.write(&buf[pos..safe], limits, &mut text_total).await?;
                        pos = safe;
                        state = State::Body { sink, line_start };
                        break;
                    }
                },
            };
        }
        if eof {
            return Err(match state {
                State::Preamble { .. } => MultipartError::Malformed("no multipart boundary found in the body".into()),
                _ => MultipartError::Truncated,
            });
        }
        // Keep only the undecided tail, then read on. (An empty window must not keep the body's
        // piece alive: the server reads the next one into the same memory when it is free.)
        buf = if pos < buf.len() { buf.slice(pos..) } else { bytes::Bytes::new() };
        pos = 0;
        match body.next().await {
            Some(Ok(chunk)) if buf.is_empty() => buf = chunk,
            Some(Ok(chunk)) => {
                let mut joined = bytes::BytesMut::with_capacity(buf.len() + chunk.len());
                joined.extend_from_slice(&buf);
                joined.extend_from_slice(&chunk);
                stats.joined += joined.len();
                buf = joined.freeze();
            }
            Some(Err(e)) => return Err(MultipartError::Body(e.to_string())),
            None => eof = true,
        }
        stats.max_window = stats.max_window.max(buf.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use futures_util::stream;

    fn limits() -> Limits {
        Limits {
            max_file_bytes: 1 << 30,
            max_field_bytes: 8 << 20,
            max_text_bytes: 64 << 20,
            max_parts: 1000,
            max_file_parts: 1000,
            max_header_bytes: 16 << 10,
        }
    }

    /// xorshift64*, fixed seeds: deterministic "random" tests without extra dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            if n == 0 { 0 } else { (self.next() % n as u64) as usize }
        }
    }

    type Chunks = stream::Iter<std::vec::IntoIter<Result<Bytes, String>>>;

    /// The body as a stream, cut at the given (sorted) offsets.
    fn chunks_at(body: &[u8], cuts: &[usize]) -> Chunks {
        let mut v = Vec::new();
        let mut last = 0;
        for &c in cuts {
            v.push(Ok(Bytes::copy_from_slice(&body[last..c])));
            last = c;
        }
        v.push(Ok(Bytes::copy_from_slice(&body[last..])));
        stream::iter(v)
    }

    fn random_cuts(rng: &mut Rng, len: usize) -> Vec<usize> {
        let n = rng.below(12);
        let mut cuts: Vec<usize> = (0..n).map(|_| rng.below(len + 1)).collect();
        cuts.sort_unstable();
        cuts
    }

    /// Everything a caller can observe, file contents included.
    #[derive(Debug, PartialEq, Clone)]
    struct Got {
        fields: Vec<(String, String)>,
        /// (name, client_filename, bytes)
        files: Vec<(String, String, Vec<u8>)>,
    }

    fn got(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Got {
        Got {
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            files: files.iter().map(|(n, f, d)| (n.to_string(), f.to_string(), d.to_vec())).collect(),
        }
    }

    fn summarize(form: &Form, spool: &Path) -> Got {
        for f in &form.files {
            let data = std::fs::read(&f.path).unwrap();
            assert_eq!(f.size, data.len() as u64, "size of {}", f.name);
            assert_eq!(f.sha1[..], Sha1::digest(&data)[..], "sha1 of {}", f.name);
            assert_eq!(f.path.parent(), Some(spool), "temp file must be in the spool dir");
        }
        Got {
            fields: form.fields.clone(),
            files: form
                .files
                .iter()
                .map(|f| (f.name.clone(), f.client_filename.clone(), std::fs::read(&f.path).unwrap()))
                .collect(),
        }
    }

    fn spool_count(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    /// Parse with the given cuts; the form is dropped afterwards, which must delete its temp files.
    async fn parse_cuts(body: &[u8], boundary: &str, cuts: &[usize], spool: &Path, l: &Limits) -> Result<Got, MultipartError> {
        let r = parse(chunks_at(body, cuts), boundary, spool, l)
            .await
            .map(|form| summarize(&form, spool));
        assert_eq!(spool_count(spool), 0, "temp files left behind (cuts {cuts:?}, result {r:?})");
        r
    }

    /// Same result whether the body arrives whole, split at any single offset, byte by byte or randomly split.
    async fn assert_all_splits(body: &[u8], boundary: &str, expected: &Got) {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path();
        let l = limits();
        for k in 0..=body.len() {
            let r = parse_cuts(body, boundary, &[k], spool, &l).await;
            assert_eq!(r.as_ref().ok(), Some(expected), "split at {k}: {r:?}");
        }
        let bytewise: Vec<usize> = (1..body.len()).collect();
        assert_eq!(
            parse_cuts(body, boundary, &bytewise, spool, &l).await.ok().as_ref(),
            Some(expected),
            "byte by byte"
        );
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for _ in 0..200 {
            let cuts = random_cuts(&mut rng, body.len());
            let r = parse_cuts(body, boundary, &cuts, spool, &l).await;
            assert_eq!(r.as_ref().ok(), Some(expected), "cuts {cuts:?}: {r:?}");
        }
    }

    // ---------------------------------------------------------------- boundary_from_content_type

    #[test]
    fn boundary_from_content_type_variants() {
        let b = |s: &str| boundary_from_content_type(s);
        assert_eq!(b("multipart/form-data; boundary=abc").as_deref(), Some("abc"));
        assert_eq!(
            b(r#"multipart/form-data; boundary="===============4603346272307208191==""#).as_deref(),
            Some("===============4603346272307208191==")
        );
        assert_eq!(b("multipart/form-data; boundary====x==").as_deref(), Some("===x=="));
        assert_eq!(b("Multipart/Form-Data;BOUNDARY=abc;charset=utf-8").as_deref(), Some("abc"));
        assert_eq!(
            b("multipart/form-data ;  charset=utf-8 ;  Boundary =  xyz  ").as_deref(),
            Some("xyz")
        );
        assert_eq!(
            b(r#"multipart/form-data; charset="a;boundary=no"; boundary="x\"y""#).as_deref(),
            Some("x\"y")
        );
        assert_eq!(b("multipart/form-data; boundary=abc, def").as_deref(), Some("abc"));
        assert_eq!(b("multipart/form-data; flag; boundary=abc").as_deref(), Some("abc"));
        assert_eq!(
            b("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW").as_deref(),
            Some("----WebKitFormBoundary7MA4YWxkTrZu0gW")
        );
        assert_eq!(b("multipart/form-data"), None);
        assert_eq!(b("multipart/form-data; charset=utf-8"), None);
        assert_eq!(b("multipart/form-data; boundary="), None);
        assert_eq!(b(r#"multipart/form-data; boundary="""#), None);
        assert_eq!(b(r#"multipart/form-data; boundary="unterminated"#), None);
        assert_eq!(b("multipart/form-data; xboundary=abc"), None);
        assert_eq!(b(""), None);
        assert_eq!(b(";;;"), None);
        let long = format!("multipart/form-data; boundary={}", "x".repeat(MAX_BOUNDARY_LEN + 1));
        assert_eq!(b(&long), None);
    }

    #[test]
    fn content_disposition_params() {
        let cd = |s: &str| {
            let (n, f) = parse_content_disposition(s.as_bytes());
            (n.map(lossy), f.map(lossy))
        };
        let s = |x: &str| Some(x.to_string());
        assert_eq!(cd(r#"form-data; name="file"; filename="FAKE-NAME""#), (s("file"), s("FAKE-NAME")));
        assert_eq!(cd("form-data;name=action"), (s("action"), None));
        assert_eq!(cd("  form-data ;  name = 'a b' ;filename=x.png  "), (s("a b"), s("x.png")));
        assert_eq!(
            cd(r#"form-data; name="q\"uote"; filename="a\"b\\c;d""#),
            (s("q\"uote"), s("a\"b\\c;d"))
        );
        assert_eq!(cd(r#"form-data; NAME="up"; FileName="""#), (s("up"), s("")));
        assert_eq!(cd("form-data; filename*=UTF-8''x.png; name=f"), (s("f"), None));
        assert_eq!(cd("form-data"), (None, None));
        assert_eq!(cd(""), (None, None));
        assert_eq!(cd(r#"form-data; name="unterminated"#), (s("unterminated"), None));
    }

    // ---------------------------------------------------------------- client bodies

    const PWB: &str = "===============4603346272307208191==";

    /// A body as pywikibot's `email`-package generator writes it: bare LF, `Content-disposition`,
    /// `MIME-Version`, `Content-Transfer-Encoding`, non-ASCII values as application/octet-stream.
    fn pywikibot_body(fields: &[(&str, &[u8])], chunk_payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in fields {
            out.extend_from_slice(format!("--{PWB}\n").as_bytes());
            if v.is_ascii() {
                out.extend_from_slice(b"Content-Type: text/plain\nMIME-Version: 1.0\n");
                out.extend_from_slice(format!("Content-disposition: form-data; name=\"{k}\"\n\n").as_bytes());
            } else {
                out.extend_from_slice(b"Content-Type: application/octet-stream\nMIME-Version: 1.0\n");
                out.extend_from_slice(format!("Content-disposition: form-data; name=\"{k}\"\n").as_bytes());
                out.extend_from_slice(b"Content-Transfer-Encoding: binary\n\n");
            }
            out.extend_from_slice(v);
            out.push(b'\n');
        }
        out.extend_from_slice(format!("--{PWB}\n").as_bytes());
        out.extend_from_slice(b"Content-Type: application/octet-stream\nMIME-Version: 1.0\n");
        out.extend_from_slice(b"Content-disposition: form-data; name=\"chunk\"; filename=\"FAKE-NAME\"\n");
        out.extend_from_slice(b"Content-Transfer-Encoding: binary\n\n");
        out.extend_from_slice(chunk_payload);
        out.extend_from_slice(format!("\n--{PWB}--\n").as_bytes());
        out
    }

    fn pwb_fields() -> Vec<(&'static str, &'static [u8])> {
        vec![
            ("action", b"upload"),
            ("token", b"abc+\\"),
            ("stash", b""),
            ("filename", "Ünïcode.png".as_bytes()),
            ("comment", b""),
            ("filesize", b"9"),
            ("offset", b"0"),
        ]
    }

    fn pwb_expected_fields() -> Vec<(&'static str, &'static str)> {
        vec![
            ("action", "upload"),
            ("token", "abc+\\"),
            ("stash", ""),
            ("filename", "Ünïcode.png"),
            ("comment", ""),
            ("filesize", "9"),
            ("offset", "0"),
        ]
    }

    /// §1.3 / T132676: before the boundary exactly one line break is stripped, `\r\n` if present, else `\n`.
    #[tokio::test]
    async fn pywikibot_bare_lf_and_t132676() {
        let f = pwb_fields();
        let ef = pwb_expected_fields();
        // (what pywikibot puts in the part, what must be stored)
        let cases: Vec<(&[u8], &[u8])> = vec![
            // A short (final) chunk gets an extra "\r", then the generator's bare "\n": "…\r\n--B".
            (b"\x89PNG\r\n\x1a\ndata\r", b"\x89PNG\r\n\x1a\ndata"),
            // A final chunk that itself ends in "\r" gets the extra "\r" too: its own "\r" survives.
            (b"abc\r\r", b"abc\r"),
            (b"\r\r", b"\r"),
            // A full-size middle chunk ending in "\r" gets no extra "\r": that byte is lost, as in PHP.
            (b"full-size\r", b"full-size"),
            // Full-size chunk without trailing "\r": only the generator's "\n" goes.
            (b"plain", b"plain"),
            (b"ends-in-lf\n", b"ends-in-lf\n"),
            (b"ends-in-crlf\r\n", b"ends-in-crlf\r\n"),
            (b"two-crs\r\r\n", b"two-crs\r\r\n"),
            // Partial boundaries inside the data are data.
            (
                b"x\n--===============46033\r\n--=====\n--",
                b"x\n--===============46033\r\n--=====\n--",
            ),
            (b"", b""),
            (b"\r", b""),
        ];
        for (payload, stored) in cases {
            let body = pywikibot_body(&f, payload);
            let expected = got(&ef, &[("chunk", "FAKE-NAME", stored)]);
            assert_all_splits(&body, PWB, &expected).await;
        }
    }

    #[tokio::test]
    async fn pywikibot_content_type_header_gives_the_boundary() {
        // The header value pywikibot sends (from `dict(container.items())`).
        let ct = format!("multipart/form-data; boundary=\"{PWB}\"");
        assert_eq!(boundary_from_content_type(&ct).as_deref(), Some(PWB));
    }

    const REQ: &str = "9b1c0e7f5a2d4c3b8e6f1a0d2c4b6e8f";

    fn crlf_part(out: &mut Vec<u8>, headers: &str, data: &[u8]) {
        out.extend_from_slice(format!("--{REQ}\r\n{headers}\r\n\r\n").as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }

    /// Data that contains everything that looks like, but is not, a delimiter.
    fn tricky_data() -> Vec<u8> {
        let mut d = b"\x89PNG\r\n\x1a\n".to_vec();
        d.extend_from_slice(format!("\r\n--{}", &REQ[..10]).as_bytes()); // partial boundary
        d.extend_from_slice(format!("\r\n--{REQ}X").as_bytes()); // full boundary followed by a non-delimiter byte
        d.extend_from_slice(format!("\n--{REQ}-x").as_bytes()); // "-" but not "--"
        d.extend_from_slice(format!("--{REQ}\r\n").as_bytes()); // not at a line start
        d.extend_from_slice(&(0u8..=255).collect::<Vec<_>>());
        d.extend_from_slice(b"\r\n\r\r\n\n\r");
        d
    }

    /// requests/mwclient/api-demos style: CRLF, part Content-Type `multipart/form-data`, file first and last.
    #[tokio::test]
    async fn requests_crlf_file_before_and_after_fields() {
        let data1 = tricky_data();
        let data2 = b"second\r\nchunk\r".to_vec();
        let mut body = Vec::new();
        crlf_part(
            &mut body,
            "Content-Disposition: form-data; name=\"file\"; filename=\"fake-filename\"\r\nContent-Type: multipart/form-data",
            &data1,
        );
        crlf_part(&mut body, "Content-Disposition: form-data; name=\"action\"", b"upload");
        crlf_part(&mut body, "Content-Disposition: form-data; name=\"text\"", b"");
        crlf_part(&mut body, "Content-Disposition: form-data; name=\"comment\"", b"line1\r\nline2\r\n");
        crlf_part(&mut body, "Content-Disposition: form-data; name=\"token\"", b"0123abcd+\\");
        crlf_part(
            &mut body,
            "Content-Disposition: form-data; name=\"chunk\"; filename=\"0.png\"\r\nContent-Type: multipart/form-data",
            &data2,
        );
        body.extend_from_slice(format!("--{REQ}--\r\n").as_bytes());
        let expected = got(
            &[
                ("action", "upload"),
                ("text", ""),
                ("comment", "line1\r\nline2\r\n"),
                ("token", "0123abcd+\\"),
            ],
            &[("file", "fake-filename", &data1), ("chunk", "0.png", &data2)],
        );
        assert_all_splits(&body, REQ, &expected).await;
    }

    /// Header spellings, parameter quoting, folding, skipped parts, preamble/epilogue, padding, mixed line ends.
    #[tokio::test]
    async fn forgiving_headers_and_framing() {
        let b = REQ;
        let mut body = Vec::new();
        body.extend_from_slice(b"This is the preamble.\r\n--not-it\r\n\r\n");
        body.extend_from_slice(format!("--{b} \t\r\nCONTENT-DISPOSITION: form-data; name=unquoted\r\n\r\nv1\r\n").as_bytes());
        body.extend_from_slice(format!("--{b}\nContent-disposition:form-data;name='single';filename='s q.txt'\n\nfile-1\n").as_bytes());
        body.extend_from_slice(
            format!("--{b}\r\ncontent-disposition: form-data; name=\"q\\\"uote\"; filename=\"a\\\"b\\\\c\"\r\nContent-Type: text/plain\r\n\r\nfile-2\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data;\r\n name=\"folded\"\r\n\r\nv2\r\n").as_bytes());
        body.extend_from_slice(format!("--{b}\r\nContent-Type: text/plain\r\n\r\nno disposition: skipped\r\n").as_bytes());
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\nno name: skipped\r\n").as_bytes());
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nempty name: skipped\r\n").as_bytes());
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"star\"; filename*=UTF-8''x.png\r\n\r\nfield\r\n").as_bytes(),
        );
        body.extend_from_slice(format!("--{b}\r\n\r\nno headers at all: skipped\r\n").as_bytes());
        // Headers but no blank line before the next boundary: an empty value.
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"headers-only\"\r\n").as_bytes());
        // Blank line directly followed by the boundary: an empty value.
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"no-body\"\r\n\r\n").as_bytes());
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"dup\"\r\n\r\n1\r\n").as_bytes());
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"dup\"\r\n\r\n2\n").as_bytes());
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"latin1\"\r\n\r\n\u{e9}t\u{e9}\r\n").as_bytes());
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"dropped\"\r\n\r\nignored\r\n").as_bytes(),
        );
        body.extend_from_slice(
            format!("--{b}--\r\nepilogue\r\n--{b}\r\nContent-Disposition: form-data; name=\"after\"\r\n\r\nx\r\n").as_bytes(),
        );
        // The "latin1" value is not UTF-8: replace it after building the (ASCII) format strings.
        let pos = memmem::find(&body, "\u{e9}t\u{e9}".as_bytes()).unwrap();
        body.splice(pos..pos + "\u{e9}t\u{e9}".len(), [0xe9, b't', 0xe9]);
        // The filename="dropped" part really has a filename; make it empty.
        let pos = memmem::find(&body, b"filename=\"dropped\"").unwrap();
        body.splice(pos..pos + 18, b"filename=\"\"".iter().copied());
        let expected = got(
            &[
                ("unquoted", "v1"),
                ("folded", "v2"),
                ("star", "field"),
                ("headers-only", ""),
                ("no-body", ""),
                ("dup", "1"),
                ("dup", "2"),
                ("latin1", "\u{fffd}t\u{fffd}"),
            ],
            &[("single", "s q.txt", b"file-1"), ("q\"uote", "a\"b\\c", b"file-2")],
        );
        assert_all_splits(&body, b, &expected).await;
    }

    #[tokio::test]
    async fn empty_filename_means_no_file() {
        let mut body = Vec::new();
        crlf_part(
            &mut body,
            "Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream",
            b"some bytes",
        );
        crlf_part(&mut body, "Content-Disposition: form-data; name=\"filename\"", b"A.png");
        body.extend_from_slice(format!("--{REQ}--\r\n").as_bytes());
        assert_all_splits(&body, REQ, &got(&[("filename", "A.png")], &[])).await;
    }

    #[tokio::test]
    async fn empty_form_and_bad_bodies() {
        let dir = tempfile::tempdir().unwrap();
        let l = limits();
        let p = |body: &'static [u8]| parse_cuts(body, "xyz", &[], dir.path(), &l);
        assert_eq!(p(b"--xyz--").await.unwrap(), got(&[], &[]));
        assert_eq!(p(b"--xyz--\r\n").await.unwrap(), got(&[], &[]));
        assert_eq!(p(b"preamble\n--xyz--").await.unwrap(), got(&[], &[]));
        assert!(matches!(p(b"").await, Err(MultipartError::Malformed(_))));
        assert!(matches!(
            p(b"garbage without any boundary\r\n").await,
            Err(MultipartError::Malformed(_))
        ));
        assert!(matches!(p(b"--xyzX\r\n").await, Err(MultipartError::Malformed(_))));
        assert!(matches!(p(b"--xyz\r\n").await, Err(MultipartError::Truncated)));
        assert!(matches!(p(b"--xyz").await, Err(MultipartError::Malformed(_))));
        assert!(matches!(p(b"--xyz garbage\r\n").await, Err(MultipartError::Malformed(_))));
        assert!(matches!(p(b"--xyz\rX").await, Err(MultipartError::Malformed(_))));
        assert!(matches!(
            p(b"--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue").await,
            Err(MultipartError::Truncated)
        ));
        assert!(matches!(
            p(b"--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue\r\n--xyz").await,
            Err(MultipartError::Truncated)
        ));
        assert!(matches!(
            p(b"--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue\r\n--xyz-").await,
            Err(MultipartError::Truncated)
        ));
        // Invalid boundaries given by the caller.
        let r = parse(chunks_at(b"--\r\n", &[]), "", dir.path(), &l).await;
        assert!(matches!(r, Err(MultipartError::Malformed(_))));
        let r = parse(chunks_at(b"--a\nb\r\n", &[]), "a\nb", dir.path(), &l).await;
        assert!(matches!(r, Err(MultipartError::Malformed(_))));
    }

    // ---------------------------------------------------------------- errors and cleanup

    fn body_with_file_then(tail: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        crlf_part(
            &mut body,
            "Content-Disposition: form-data; name=\"file\"; filename=\"f\"",
            &[b'a'; 5000],
        );
        body.extend_from_slice(tail);
        body
    }

    #[tokio::test]
    async fn truncated_anywhere_is_an_error_and_leaves_no_files() {
        let mut body = Vec::new();
        crlf_part(
            &mut body,
            "Content-Disposition: form-data; name=\"file\"; filename=\"f\"",
            &tricky_data(),
        );
        crlf_part(&mut body, "Content-Disposition: form-data; name=\"action\"", b"upload");
        crlf_part(
            &mut body,
            "Content-Disposition: form-data; name=\"chunk\"; filename=\"c\"",
            b"0123456789",
        );
        let closing = format!("--{REQ}--");
        body.extend_from_slice(closing.as_bytes());
        let complete = body.len();
        body.extend_from_slice(b"\r\n");
        let dir = tempfile::tempdir().unwrap();
        let l = limits();
        for k in 0..=body.len() {
            let prefix = &body[..k];
            let r = parse_cuts(prefix, REQ, &[k / 2], dir.path(), &l).await;
            if k >= complete {
                assert_eq!(r.unwrap().files.len(), 2);
            } else {
                match r {
                    Err(MultipartError::Truncated) => {}
                    // Only while the first boundary line is incomplete.
                    Err(MultipartError::Malformed(_)) if k <= REQ.len() + 3 => {}
                    other => panic!("prefix of {k} bytes: {other:?}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn file_too_large_stops_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let data = tricky_data();
        let mut body = Vec::new();
        crlf_part(
            &mut body,
            "Content-Disposition: form-data; name=\"first\"; filename=\"ok\"",
            b"small",
        );
        crlf_part(&mut body, "Content-Disposition: form-data; name=\"file\"; filename=\"big\"", &data);
        body.extend_from_slice(format!("--{REQ}--\r\n").as_bytes());
        let mut l = limits();
        l.max_file_bytes = data.len() as u64;
        let ok = parse_cuts(&body, REQ, &[100, 300], dir.path(), &l).await.unwrap();
        assert_eq!(ok.files[1].2, data);
        l.max_file_bytes = data.len() as u64 - 1;
        for k in [0, 1, 100, body.len() / 2, body.len() - 3] {
            match parse_cuts(&body, REQ, &[k], dir.path(), &l).await {
                Err(MultipartError::FileTooLarge { field, limit }) => {
                    assert_eq!(field, "file");
                    assert_eq!(limit, data.len() as u64 - 1);
                }
                other => panic!("{other:?}"),
            }
        }
        // An endless file part: reading must stop at the limit.
        let head = format!("--{REQ}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n");
        let endless = stream::iter(vec![Ok::<_, String>(Bytes::from(head))]).chain(stream::repeat(Ok(Bytes::from_static(&[b'z'; 4096]))));
        l.max_file_bytes = 1 << 20;
        let r = parse(endless, REQ, dir.path(), &l).await;
        assert!(matches!(r, Err(MultipartError::FileTooLarge { .. })), "{r:?}");
        assert_eq!(spool_count(dir.path()), 0);
    }

    #[tokio::test]
    async fn body_stream_error_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().to_path_buf();
        let mut body = body_with_file_then(b"");
        body.extend_from_slice(
            format!("--{REQ}\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"c\"\r\n\r\npartial data").as_bytes(),
        );
        let first = Bytes::from(body);
        let check = spool.clone();
        let s = Box::pin(stream::iter(vec![Ok(first)]).chain(stream::once(async move {
            // Both temp files exist at the moment the client goes away.
            assert_eq!(spool_count(&check), 2);
            Err::<Bytes, _>("connection reset by peer")
        })));
        let r = parse(s, REQ, &spool, &limits()).await;
        match r {
            Err(MultipartError::Body(msg)) => assert_eq!(msg, "connection reset by peer"),
            other => panic!("{other:?}"),
        }
        assert_eq!(spool_count(&spool), 0);
    }

    #[tokio::test]
    async fn field_part_and_header_limits() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path();
        // Each error comes after a completed file part, whose temp file must go too.
        let mut l = limits();
        l.max_field_bytes = 10;
        let mut tail = Vec::new();
        crlf_part(&mut tail, "Content-Disposition: form-data; name=\"ten\"", b"0123456789");
        crlf_part(&mut tail, "Content-Disposition: form-data; name=\"eleven\"", b"0123456789a");
        tail.extend_from_slice(format!("--{REQ}--\r\n").as_bytes());
        let body = body_with_file_then(&tail);
        match parse_cuts(&body, REQ, &[5100], spool, &l).await {
            Err(MultipartError::FieldTooLarge { field }) => assert_eq!(field, "eleven"),
            other => panic!("{other:?}"),
        }

        let mut l = limits();
        l.max_parts = 3;
        let mut tail = Vec::new();
        for i in 0..3 {
            crlf_part(&mut tail, &format!("Content-Disposition: form-data; name=\"f{i}\""), b"v");
        }
        tail.extend_from_slice(format!("--{REQ}--\r\n").as_bytes());
        let body = body_with_file_then(&tail);
        assert!(matches!(
            parse_cuts(&body, REQ, &[], spool, &l).await,
            Err(MultipartError::TooManyParts)
        ));
        l.max_parts = 4;
        assert_eq!(parse_cuts(&body, REQ, &[], spool, &l).await.unwrap().fields.len(), 3);

        let mut l = limits();
        l.max_header_bytes = 200;
        let huge = format!(
            "--{REQ}\r\nContent-Disposition: form-data; name=\"x\"\r\nX-Junk: {}\r\n\r\nv\r\n--{REQ}--\r\n",
            "j".repeat(300)
        );
        let body = body_with_file_then(huge.as_bytes());
        assert!(matches!(
            parse_cuts(&body, REQ, &[5100], spool, &l).await,
            Err(MultipartError::Malformed(_))
        ));
        // A header "line" that never ends is refused without buffering it all.
        let head = format!("--{REQ}\r\nContent-Disposition: form-data; name=\"x\"; junk=");
        let endless = stream::iter(vec![Ok::<_, String>(Bytes::from(head))]).chain(stream::repeat(Ok(Bytes::from_static(&[b'j'; 1000]))));
        let mut stats = Stats::default();
        let r = parse_inner(endless, REQ, spool, &l, None, &mut stats).await;
        assert!(matches!(r, Err(MultipartError::Malformed(_))), "{r:?}");
        assert!(stats.max_window < 4096, "{stats:?}");
        assert_eq!(spool_count(spool), 0);
    }

    #[test]
    fn parse_future_is_send() {
        fn is_send<T: Send>(_: &T) {}
        let l = limits();
        let fut = parse(chunks_at(b"", &[]), "x", Path::new("."), &l);
        is_send(&fut);
    }

    // ---------------------------------------------------------------- memory bound

    /// 256 MiB file part generated on the fly; the input window must stay around one body chunk.
    #[tokio::test]
    async fn large_part_streams_in_bounded_memory() {
        const TOTAL: u64 = 256 << 20;
        const CHUNK: usize = 64 * 1024;
        // Pseudo-random pool; chunks are windows into it of varying length, so part data and
        // body chunk boundaries never line up. Random bytes contain "\r", "\n" and "-" now and then.
        let mut rng = Rng(0xdead_beef_cafe_f00d);
        let pool = Bytes::from((0..CHUNK + 8192).map(|_| rng.next() as u8).collect::<Vec<u8>>());
        let piece = move |i: u64| -> Bytes {
            let start = (i as usize * 131) % 4096;
            let len = CHUNK - 997 + (i as usize * 7) % 2000;
            pool.slice(start..start + len)
        };
        let mut expected = Sha1::new();
        let mut n = 0u64;
        let mut pieces = 0u64;
        while n < TOTAL {
            let p = piece(pieces);
            let take = (TOTAL - n).min(p.len() as u64) as usize;
            expected.update(&p[..take]);
            n += take as u64;
            pieces += 1;
        }
        let expected: [u8; 20] = expected.finalize().as_slice().try_into().unwrap();

        let head = format!(
            "--{REQ}\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nupload\r\n--{REQ}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n"
        );
        let tail = format!("\r\n--{REQ}\r\nContent-Disposition: form-data; name=\"after\"\r\n\r\nyes\r\n--{REQ}--\r\n");
        let mut sent = 0u64;
        let body = stream::iter(std::iter::once(Bytes::from(head)))
            .chain(stream::iter((0..pieces).map(move |i| {
                let p = piece(i);
                let take = (TOTAL - sent).min(p.len() as u64) as usize;
                sent += take as u64;
                p.slice(..take)
            })))
            .chain(stream::iter(std::iter::once(Bytes::from(tail))))
            .map(Ok::<_, String>);

        let dir = tempfile::tempdir().unwrap();
        let mut stats = Stats::default();
        let form = parse_inner(body, REQ, dir.path(), &limits(), None, &mut stats).await.unwrap();
        assert_eq!(
            form.fields,
            vec![
                ("action".to_string(), "upload".to_string()),
                ("after".to_string(), "yes".to_string())
            ]
        );
        assert_eq!(form.files.len(), 1);
        let f = &form.files[0];
        assert_eq!(f.size, TOTAL);
        assert_eq!(std::fs::metadata(&f.path).unwrap().len(), TOTAL);
        assert_eq!(f.sha1, expected);
        // The window is one body chunk plus a short tail.
        assert!(stats.max_window <= CHUNK + 2048, "window grew to {} bytes", stats.max_window);
        // The pieces are scanned where they arrived: only an undecided tail (a `\r` or a `\n`
        // that may start a delimiter) is ever joined with the next piece, so nearly no byte is
        // copied on the way to the part's file (every byte was, before).
        assert!(
            stats.joined < (TOTAL / 50) as usize,
            "{} of {TOTAL} bytes copied to join pieces",
            stats.joined
        );
        drop(form);
        assert_eq!(spool_count(dir.path()), 0);
    }

    // ---------------------------------------------------------------- fuzz-ish

    fn mutate(rng: &mut Rng, body: &mut Vec<u8>, boundary: &str) {
        let fragments: Vec<Vec<u8>> = vec![
            format!("\r\n--{boundary}").into_bytes(),
            format!("\n--{boundary}--").into_bytes(),
            format!("--{boundary}\r\n").into_bytes(),
            format!("\n--{}", &boundary[..boundary.len() / 2]).into_bytes(),
            b"\r".to_vec(),
            b"\n".to_vec(),
            b"\r\n\r\n".to_vec(),
            b"Content-Disposition: form-data; name=\"x\"; filename=\"y\"\r\n\r\n".to_vec(),
            b"Content-Disposition: form-data; name=\"\\".to_vec(),
            b"filename=\"\"".to_vec(),
            b"'\"\\;=".to_vec(),
        ];
        for _ in 0..1 + rng.below(4) {
            let len = body.len();
            match rng.below(7) {
                0 if len > 0 => {
                    let i = rng.below(len);
                    body[i] ^= 1 << rng.below(8);
                }
                1 if len > 0 => {
                    let i = rng.below(len);
                    let j = (i + rng.below(40)).min(len);
                    body.drain(i..j);
                }
                2 => {
                    let i = rng.below(len + 1);
                    let junk: Vec<u8> = (0..rng.below(30)).map(|_| rng.next() as u8).collect();
                    body.splice(i..i, junk);
                }
                3 | 4 => {
                    let i = rng.below(len + 1);
                    let f = fragments[rng.below(fragments.len())].clone();
                    body.splice(i..i, f);
                }
                5 if len > 0 => {
                    let i = rng.below(len);
                    let j = (i + rng.below(60)).min(len);
                    let dup = body[i..j].to_vec();
                    let k = rng.below(len + 1);
                    body.splice(k..k, dup);
                }
                _ => body.truncate(rng.below(len + 1)),
            }
        }
    }

    fn same_outcome(a: &Result<Got, MultipartError>, b: &Result<Got, MultipartError>) -> bool {
        match (a, b) {
            (Ok(x), Ok(y)) => x == y,
            (Err(x), Err(y)) => std::mem::discriminant(x) == std::mem::discriminant(y),
            _ => false,
        }
    }

    /// Random bytes and random mutations of valid bodies never panic, never leak temp files, and
    /// give the same outcome however the body is split.
    #[tokio::test]
    async fn fuzz_never_panics_and_ignores_splits() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path();
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        let mut seeds: Vec<(Vec<u8>, &str)> = vec![(pywikibot_body(&pwb_fields(), b"abc\r\r"), PWB)];
        let mut req = Vec::new();
        crlf_part(
            &mut req,
            "Content-Disposition: form-data; name=\"file\"; filename=\"fake-filename\"",
            &tricky_data(),
        );
        crlf_part(&mut req, "Content-Disposition: form-data; name=\"action\"", b"upload");
        req.extend_from_slice(format!("--{REQ}--\r\n").as_bytes());
        seeds.push((req, REQ));
        seeds.push((
            b"--a\r\nContent-Disposition: form-data; name=f; filename=g\r\n\r\n\r\n--a--".to_vec(),
            "a",
        ));

        let small = Limits {
            max_file_bytes: 64,
            max_field_bytes: 16,
            max_text_bytes: 40,
            max_parts: 4,
            max_file_parts: 2,
            max_header_bytes: 128,
        };
        for round in 0..1500 {
            let (mut body, boundary) = if round % 10 == 0 {
                let len = rng.below(600);
                ((0..len).map(|_| rng.next() as u8).collect(), "a")
            } else {
                let (b, bd) = &seeds[rng.below(seeds.len())];
                (b.clone(), *bd)
            };
            mutate(&mut rng, &mut body, boundary);
            let l = if round % 3 == 0 { small.clone() } else { limits() };
            let whole = parse_cuts(&body, boundary, &[], spool, &l).await;
            let cuts = random_cuts(&mut rng, body.len());
            let split = parse_cuts(&body, boundary, &cuts, spool, &l).await;
            assert!(
                same_outcome(&whole, &split),
                "round {round}: {whole:?} vs {split:?} (cuts {cuts:?}) body {:?}",
                String::from_utf8_lossy(&body)
            );
            let bytewise: Vec<usize> = (1..body.len()).collect();
            if round % 25 == 0 {
                let r = parse_cuts(&body, boundary, &bytewise, spool, &l).await;
                assert!(same_outcome(&whole, &r), "round {round} bytewise: {whole:?} vs {r:?}");
            }
        }
    }
}
