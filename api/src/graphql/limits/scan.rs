//! A single pass over a GraphQL document's text, without recursion, that bounds
//! what the (recursive) parser will face: bytes, tokens and bracket nesting; and
//! that counts aliases: in a selection set a colon only ever follows an alias, and
//! every other colon (arguments, variable definitions, object values) is inside
//! parentheses.
//! Strings, block strings and comments are skipped, so brackets inside them do
//! not count. It does not validate: what it lets through, the parser judges.

use super::{LimitError, QueryLimits};

pub fn scan_document(document: &str, limits: &QueryLimits) -> Result<(), LimitError> {
    if document.len() > limits.max_document_bytes {
        return Err(LimitError::DocumentTooLarge { found: document.len(), limit: limits.max_document_bytes });
    }
    let bytes = document.as_bytes();
    let (mut at, mut depth, mut tokens) = (0usize, 0usize, 0usize);
    let (mut parens, mut aliases) = (0usize, 0usize);
    while at < bytes.len() {
        let byte = bytes[at];
        let start = at;
        at += 1;
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => continue,
            b'#' => {
                while at < bytes.len() && !matches!(bytes[at], b'\n' | b'\r') {
                    at += 1;
                }
                continue;
            }
            b'"' if bytes[at..].starts_with(b"\"\"") => at = skip_block_string(bytes, at + 2),
            b'"' => at = skip_string(bytes, at),
            b'{' | b'[' | b'(' => {
                depth += 1;
                parens += usize::from(byte == b'(');
                if depth > limits.max_nesting {
                    let (line, column) = position(document, start);
                    return Err(LimitError::NestedTooDeep { limit: limits.max_nesting, line, column });
                }
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                parens = parens.saturating_sub(usize::from(byte == b')'));
            }
            b':' if parens == 0 => aliases += 1,
            b'.' if bytes[at..].starts_with(b"..") => at += 2,
            _ if is_word(byte) => {
                while at < bytes.len() && (is_word(bytes[at]) || bytes[at] == b'.') {
                    at += 1;
                }
            }
            _ => {}
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(LimitError::TooManyTokens { limit: limits.max_tokens });
        }
    }
    if aliases > limits.max_aliases {
        return Err(LimitError::TooManyAliases { found: aliases, limit: limits.max_aliases });
    }
    Ok(())
}

/// Names and numbers (`-1.5e3` included).
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'+')
}

/// From just after the opening quote to just after the closing one (or the end
/// of the line, where the parser will report the unterminated string).
fn skip_string(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            b'\n' | b'\r' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// From just after `"""` to just after the closing `"""`; `\"""` does not close.
fn skip_block_string(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        if bytes[at..].starts_with(b"\\\"\"\"") {
            at += 4;
        } else if bytes[at..].starts_with(b"\"\"\"") {
            return at + 3;
        } else {
            at += 1;
        }
    }
    bytes.len()
}

/// 1-based line and column (in characters) of a byte offset.
fn position(document: &str, offset: usize) -> (usize, usize) {
    let before = &document[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, column)
}
