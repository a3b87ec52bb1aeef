//! The `pbbp2.Frame` codec: two protobuf (proto2) messages, written by hand (no protobuf
//! dependency for two messages). Decoding is bounded and never panics: every length is checked
//! against what is left, varints stop at ten bytes, unknown fields are skipped, groups refused.
//!
//! ```
//! use feishu_edge::ws::frame::{decode, encode, Frame};
//! let ping = Frame::control(7, "ping");
//! let back = decode(&encode(&ping)).unwrap();
//! assert_eq!((back.service, back.header("type")), (7, Some("ping")));
//! ```

/// The largest frame decoded (bytes): a whole event of the largest size the long connection
/// takes ([`super::reassembly::MAX_MESSAGE_BYTES`]) and its headers; a platform message is
/// split into parts well below this.
pub const MAX_FRAME_BYTES: usize = (4 << 20) + (64 << 10);
/// The most headers a frame may carry.
pub const MAX_HEADERS: usize = 64;

/// `method` of a control frame (ping, pong).
pub const METHOD_CONTROL: i32 = 0;
/// `method` of a data frame (events, callbacks).
pub const METHOD_DATA: i32 = 1;

/// One frame of the long connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// `SeqID`.
    pub seq_id: u64,
    /// `LogID`.
    pub log_id: u64,
    /// `service`: the `service_id` of the connection URL.
    pub service: i32,
    /// `method`: [`METHOD_CONTROL`] or [`METHOD_DATA`].
    pub method: i32,
    /// `headers`, in order (`type`, `message_id`, `sum`, `seq`, `trace_id`, `biz_rt`…).
    pub headers: Vec<(String, String)>,
    /// `payload_encoding`.
    pub payload_encoding: Option<String>,
    /// `payload_type`.
    pub payload_type: Option<String>,
    /// `payload`.
    pub payload: Option<Vec<u8>>,
    /// `LogIDNew`.
    pub log_id_new: Option<String>,
}

impl Frame {
    /// A control frame (`ping`) for `service`.
    pub fn control(service: i32, kind: &str) -> Frame {
        Frame {
            service,
            method: METHOD_CONTROL,
            headers: vec![("type".into(), kind.into())],
            ..Frame::default()
        }
    }
    /// The first value of header `key`.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Larger than [`MAX_FRAME_BYTES`].
    TooLarge,
    /// A varint or a length runs past the end.
    Truncated,
    /// A varint longer than ten bytes.
    BadVarint,
    /// A wire type this message cannot hold (groups, 6, 7) or a field of the wrong type.
    BadWireType,
    /// A string that is not UTF-8.
    BadUtf8,
    /// More than [`MAX_HEADERS`] headers, or a header without key or value.
    BadHeaders,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FrameError::TooLarge => "frame larger than the limit",
            FrameError::Truncated => "truncated frame",
            FrameError::BadVarint => "malformed varint",
            FrameError::BadWireType => "unexpected wire type",
            FrameError::BadUtf8 => "a string field is not UTF-8",
            FrameError::BadHeaders => "malformed headers",
        })
    }
}

/// A cursor over untrusted bytes.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, FrameError> {
        let mut value = 0u64;
        for i in 0..10 {
            let (&b, rest) = self.bytes.split_first().ok_or(FrameError::Truncated)?;
            self.bytes = rest;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FrameError::BadVarint)
    }
    fn chunk(&mut self) -> Result<&'a [u8], FrameError> {
        let len = usize::try_from(self.varint()?).map_err(|_| FrameError::Truncated)?;
        if len > self.bytes.len() {
            return Err(FrameError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }
    fn skip(&mut self, wire: u64) -> Result<(), FrameError> {
        let n = match wire {
            0 => return self.varint().map(|_| ()),
            1 => 8,
            2 => return self.chunk().map(|_| ()),
            5 => 4,
            _ => return Err(FrameError::BadWireType),
        };
        if n > self.bytes.len() {
            return Err(FrameError::Truncated);
        }
        self.bytes = self.bytes.get(n..).unwrap_or(&[]);
        Ok(())
    }
    /// `(field, wire type)`, or `None` at the end.
    fn tag(&mut self) -> Result<Option<(u64, u64)>, FrameError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let tag = self.varint()?;
        Ok(Some((tag >> 3, tag & 7)))
    }
}

fn text(bytes: &[u8]) -> Result<String, FrameError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| FrameError::BadUtf8)
}

fn expect(wire: u64, wanted: u64) -> Result<(), FrameError> {
    if wire == wanted {
        Ok(())
    } else {
        Err(FrameError::BadWireType)
    }
}

fn header(bytes: &[u8]) -> Result<(String, String), FrameError> {
    let mut r = Reader { bytes };
    let (mut key, mut value) = (None, None);
    while let Some((field, wire)) = r.tag()? {
        match field {
            1 => {
                expect(wire, 2)?;
                key = Some(text(r.chunk()?)?);
            }
            2 => {
                expect(wire, 2)?;
                value = Some(text(r.chunk()?)?);
            }
            _ => r.skip(wire)?,
        }
    }
    match (key, value) {
        (Some(k), Some(v)) => Ok((k, v)),
        _ => Err(FrameError::BadHeaders),
    }
}

/// Decodes one frame. Missing scalar fields read as 0, like the official decoders' defaults.
pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge);
    }
    let mut r = Reader { bytes };
    let mut f = Frame::default();
    while let Some((field, wire)) = r.tag()? {
        match field {
            1 => {
                expect(wire, 0)?;
                f.seq_id = r.varint()?;
            }
            2 => {
                expect(wire, 0)?;
                f.log_id = r.varint()?;
            }
            // int32: negative values travel as ten-byte two's complement varints.
            3 => {
                expect(wire, 0)?;
                f.service = r.varint()? as i64 as i32;
            }
            4 => {
                expect(wire, 0)?;
                f.method = r.varint()? as i64 as i32;
            }
            5 => {
                expect(wire, 2)?;
                if f.headers.len() == MAX_HEADERS {
                    return Err(FrameError::BadHeaders);
                }
                f.headers.push(header(r.chunk()?)?);
            }
            6 => {
                expect(wire, 2)?;
                f.payload_encoding = Some(text(r.chunk()?)?);
            }
            7 => {
                expect(wire, 2)?;
                f.payload_type = Some(text(r.chunk()?)?);
            }
            8 => {
                expect(wire, 2)?;
                f.payload = Some(r.chunk()?.to_vec());
            }
            9 => {
                expect(wire, 2)?;
                f.log_id_new = Some(text(r.chunk()?)?);
            }
            _ => r.skip(wire)?,
        }
    }
    Ok(f)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, (field << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_scalar(out: &mut Vec<u8>, field: u64, v: u64) {
    put_varint(out, field << 3);
    put_varint(out, v);
}

/// Encodes a frame (the four required scalars always, the rest when present).
pub fn encode(f: &Frame) -> Vec<u8> {
    let size = f.payload.as_ref().map_or(0, Vec::len) + 64 * (f.headers.len() + 1);
    let mut out = Vec::with_capacity(size);
    put_scalar(&mut out, 1, f.seq_id);
    put_scalar(&mut out, 2, f.log_id);
    put_scalar(&mut out, 3, f.service as i64 as u64);
    put_scalar(&mut out, 4, f.method as i64 as u64);
    let mut h = Vec::new();
    for (k, v) in &f.headers {
        h.clear();
        put_bytes(&mut h, 1, k.as_bytes());
        put_bytes(&mut h, 2, v.as_bytes());
        put_bytes(&mut out, 5, &h);
    }
    if let Some(e) = &f.payload_encoding {
        put_bytes(&mut out, 6, e.as_bytes());
    }
    if let Some(t) = &f.payload_type {
        put_bytes(&mut out, 7, t.as_bytes());
    }
    if let Some(p) = &f.payload {
        put_bytes(&mut out, 8, p);
    }
    if let Some(l) = &f.log_id_new {
        put_bytes(&mut out, 9, l.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_known_bytes() {
        let f = Frame {
            seq_id: 300,
            log_id: u64::MAX,
            service: -5,
            method: METHOD_DATA,
            headers: vec![("type".into(), "event".into()), ("sum".into(), "1".into())],
            payload_encoding: None,
            payload_type: Some("json".into()),
            payload: Some(b"{}".to_vec()),
            log_id_new: Some("L".into()),
        };
        assert_eq!(decode(&encode(&f)).unwrap(), f);
        // A ping as protobufjs writes it: SeqID 0, LogID 0, service 1, method 0, type=ping.
        let ping = [
            8, 0, 16, 0, 24, 1, 32, 0, 42, 12, 10, 4, b't', b'y', b'p', b'e', 18, 4, b'p', b'i',
            b'n', b'g',
        ];
        assert_eq!(encode(&Frame::control(1, "ping")), ping);
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        assert_eq!(decode(&[0x80; 11]), Err(FrameError::BadVarint));
        assert_eq!(decode(&[0x42, 0xff, 0x01]), Err(FrameError::Truncated));
        assert_eq!(decode(&[0x0b]), Err(FrameError::BadWireType)); // a group
        assert_eq!(
            decode(&[0x2a, 0x02, 0x0a, 0x00]),
            Err(FrameError::BadHeaders)
        );
        // Unknown fields are skipped.
        let mut bytes = encode(&Frame::control(2, "pong"));
        bytes.extend_from_slice(&[0x50, 0x01, 0x5d, 1, 2, 3, 4]);
        assert_eq!(decode(&bytes).unwrap().header("type"), Some("pong"));
        assert_eq!(
            decode(&vec![0; MAX_FRAME_BYTES + 1]),
            Err(FrameError::TooLarge)
        );
    }
}
