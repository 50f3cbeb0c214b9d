//! Byte-exact JSON editing for property tests: locate every value of a JSON text by its byte
//! span, and produce the texts with exactly one object member or array element removed, the
//! rest of the document unchanged byte for byte (key order, whitespace, escapes). Strings whose
//! content is itself a JSON object or array (`nvidia_payload`, a string `event_log`,
//! `info.vm_config`, …) are descended into: the removal is made in the inner text, which is then
//! re-encoded as a JSON string in place of the original one.
//!
//! Paths: `$` is the root, `.key` an object member, `[i]` an array element, `#` the JSON
//! document inside a string (`$.nvidia_payload#.evidence_list[0].arch`).
#![allow(dead_code)]

/// Which array elements are removed and descended into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Every element.
    Full,
    /// Arrays of up to [`SMALL_ARRAY`] elements in full; longer ones only the first, middle
    /// (`len / 2`) and last element (each removed, and every member inside each removed). Every
    /// object member outside such arrays is still removed.
    FirstMiddleLast,
}

/// Arrays up to this length are enumerated in full even when sampling.
pub const SMALL_ARRAY: usize = 3;

/// A value located in a text.
#[derive(Debug)]
pub struct Node {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

#[derive(Debug)]
pub enum Kind {
    /// Members: (key, start of the key, value).
    Object(Vec<(String, usize, Node)>),
    Array(Vec<Node>),
    String,
    Scalar,
}

/// Parse `text` into located nodes (strict enough for well-formed JSON; `None` otherwise).
pub fn parse(text: &str) -> Option<Node> {
    let b = text.as_bytes();
    let mut i = 0;
    let node = value(b, &mut i, 0)?;
    skip_ws(b, &mut i);
    (i == b.len()).then_some(node)
}

fn skip_ws(b: &[u8], i: &mut usize) {
    while b.get(*i).is_some_and(|c| c.is_ascii_whitespace()) {
        *i += 1;
    }
}

fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

fn value(b: &[u8], i: &mut usize, depth: usize) -> Option<Node> {
    if depth > 256 {
        return None;
    }
    skip_ws(b, i);
    let start = *i;
    match b.get(*i)? {
        b'{' => {
            *i += 1;
            let mut members = Vec::new();
            skip_ws(b, i);
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return Some(Node { start, end: *i, kind: Kind::Object(members) });
            }
            loop {
                skip_ws(b, i);
                let kstart = *i;
                if b.get(kstart) != Some(&b'"') {
                    return None;
                }
                let kend = string_end(b, kstart)?;
                let key: String = serde_json::from_slice(b.get(kstart..kend)?).ok()?;
                *i = kend;
                skip_ws(b, i);
                if b.get(*i) != Some(&b':') {
                    return None;
                }
                *i += 1;
                let v = value(b, i, depth + 1)?;
                members.push((key, kstart, v));
                skip_ws(b, i);
                match b.get(*i)? {
                    b',' => *i += 1,
                    b'}' => {
                        *i += 1;
                        return Some(Node { start, end: *i, kind: Kind::Object(members) });
                    }
                    _ => return None,
                }
            }
        }
        b'[' => {
            *i += 1;
            let mut items = Vec::new();
            skip_ws(b, i);
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return Some(Node { start, end: *i, kind: Kind::Array(items) });
            }
            loop {
                items.push(value(b, i, depth + 1)?);
                skip_ws(b, i);
                match b.get(*i)? {
                    b',' => *i += 1,
                    b']' => {
                        *i += 1;
                        return Some(Node { start, end: *i, kind: Kind::Array(items) });
                    }
                    _ => return None,
                }
            }
        }
        b'"' => {
            *i = string_end(b, start)?;
            Some(Node { start, end: *i, kind: Kind::String })
        }
        _ => {
            while b.get(*i).is_some_and(|c| !matches!(c, b',' | b']' | b'}') && !c.is_ascii_whitespace()) {
                *i += 1;
            }
            (*i > start).then_some(Node { start, end: *i, kind: Kind::Scalar })
        }
    }
}

/// The text with the `idx`-th of `spans` (start, end) removed, with one separating comma.
fn cut(text: &str, spans: &[(usize, usize)], idx: usize) -> String {
    let (s, e) = spans[idx];
    let (from, to) = if let Some(next) = spans.get(idx + 1) {
        (s, next.0)
    } else if idx > 0 {
        (spans[idx - 1].1, e)
    } else {
        (s, e)
    };
    format!("{}{}", &text[..from], &text[to..])
}

fn sampled(len: usize, sampling: Sampling) -> Vec<usize> {
    if sampling == Sampling::Full || len <= SMALL_ARRAY {
        (0..len).collect()
    } else {
        let mut v = vec![0, len / 2, len - 1];
        v.dedup();
        v
    }
}

/// Every single-member / single-element removal of `text`: (path, resulting text), in document
/// order. `None` if `text` is not JSON.
pub fn removals(text: &str, sampling: Sampling) -> Option<Vec<(String, String)>> {
    let root = parse(text)?;
    let mut out = Vec::new();
    walk(text, &root, "$", sampling, &mut out);
    Some(out)
}

fn walk(text: &str, node: &Node, path: &str, sampling: Sampling, out: &mut Vec<(String, String)>) {
    match &node.kind {
        Kind::Object(members) => {
            let spans: Vec<(usize, usize)> = members.iter().map(|(_, ks, v)| (*ks, v.end)).collect();
            for (idx, (key, _, v)) in members.iter().enumerate() {
                let p = format!("{path}.{key}");
                out.push((p.clone(), cut(text, &spans, idx)));
                walk(text, v, &p, sampling, out);
            }
        }
        Kind::Array(items) => {
            let spans: Vec<(usize, usize)> = items.iter().map(|v| (v.start, v.end)).collect();
            for idx in sampled(items.len(), sampling) {
                let p = format!("{path}[{idx}]");
                out.push((p.clone(), cut(text, &spans, idx)));
                walk(text, &items[idx], &p, sampling, out);
            }
        }
        Kind::String => {
            let Ok(inner) = serde_json::from_str::<String>(&text[node.start..node.end]) else { return };
            let t = inner.trim_start();
            if !(t.starts_with('{') || t.starts_with('[')) || serde_json::from_str::<serde_json::Value>(&inner).is_err() {
                return;
            }
            let Some(inner_root) = parse(&inner) else { return };
            let mut inner_out = Vec::new();
            walk(&inner, &inner_root, &format!("{path}#"), sampling, &mut inner_out);
            for (p, m) in inner_out {
                let encoded = serde_json::to_string(&m).expect("string encodes");
                out.push((p, format!("{}{}{}", &text[..node.start], encoded, &text[node.end..])));
            }
        }
        Kind::Scalar => {}
    }
}

/// The located node at a simple path (`$.a.b[0]`, no `#`), if present.
pub fn find<'n>(root: &'n Node, path: &str) -> Option<&'n Node> {
    let mut node = root;
    let rest = path.strip_prefix('$')?;
    let mut chars = rest;
    while !chars.is_empty() {
        if let Some(r) = chars.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            let Kind::Object(members) = &node.kind else { return None };
            node = &members.iter().find(|(k, _, _)| k == key)?.2;
            chars = &r[end..];
        } else if let Some(r) = chars.strip_prefix('[') {
            let end = r.find(']')?;
            let idx: usize = r[..end].parse().ok()?;
            let Kind::Array(items) = &node.kind else { return None };
            node = items.get(idx)?;
            chars = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(node)
}

/// `text` with the value at `path` (no `#`) replaced by the JSON text `replacement`.
pub fn replace(text: &str, path: &str, replacement: &str) -> Option<String> {
    let root = parse(text)?;
    let n = find(&root, path)?;
    Some(format!("{}{}{}", &text[..n.start], replacement, &text[n.end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_keep_the_rest_byte_for_byte() {
        let text = r#"{"a": 1, "b": [1, 2], "c": "{\"x\":[3]}"}"#;
        let r = removals(text, Sampling::Full).unwrap();
        let got: Vec<(&str, &str)> = r.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("$.a", r#"{"b": [1, 2], "c": "{\"x\":[3]}"}"#),
                ("$.b", r#"{"a": 1, "c": "{\"x\":[3]}"}"#),
                ("$.b[0]", r#"{"a": 1, "b": [2], "c": "{\"x\":[3]}"}"#),
                ("$.b[1]", r#"{"a": 1, "b": [1], "c": "{\"x\":[3]}"}"#),
                ("$.c", r#"{"a": 1, "b": [1, 2]}"#),
                ("$.c#.x", r#"{"a": 1, "b": [1, 2], "c": "{}"}"#),
                ("$.c#.x[0]", r#"{"a": 1, "b": [1, 2], "c": "{\"x\":[]}"}"#),
            ]
        );
        for (_, t) in &r {
            serde_json::from_str::<serde_json::Value>(t).unwrap();
        }
    }
}
