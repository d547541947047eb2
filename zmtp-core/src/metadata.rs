//! Connection metadata: the property list carried by READY (and by PLAIN/CURVE INITIATE).
//!
//! Wire form (RFC 23): repeated `name-len:u8 name value-len:u32be value`. Names are 1-255
//! characters of `A-Za-z0-9-_.+` and compare case-insensitively; we keep the casing we were given
//! because libzmq compares `Socket-Type` and `Identity` case-sensitively on input.

use bytes::{Buf, BufMut, Bytes};

use crate::error::Malformed;

/// Property name for the sender's socket type.
pub const SOCKET_TYPE: &str = "Socket-Type";
/// Property name for the sender's identity (routing id).
pub const IDENTITY: &str = "Identity";

/// An ordered list of properties with case-insensitive unique names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    properties: Vec<(String, Bytes)>,
}

/// Why a property cannot be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPropertyName(pub String);

impl std::fmt::Display for InvalidPropertyName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid metadata property name {:?}: 1-255 characters of A-Z a-z 0-9 - _ . +",
            self.0
        )
    }
}

impl std::error::Error for InvalidPropertyName {}

/// Whether `name` is a legal property name (RFC 23 grammar).
pub fn is_valid_name(name: &[u8]) -> bool {
    (1..=255).contains(&name.len())
        && name
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'+'))
}

impl Metadata {
    /// An empty property list.
    pub const fn new() -> Metadata {
        Metadata {
            properties: Vec::new(),
        }
    }

    /// Sets a property, replacing one of the same name (case-insensitively).
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Bytes>,
    ) -> Result<(), InvalidPropertyName> {
        let name = name.into();
        if !is_valid_name(name.as_bytes()) {
            return Err(InvalidPropertyName(name));
        }
        let value = value.into();
        match self.position(&name) {
            Some(i) => self.properties[i] = (name, value),
            None => self.properties.push((name, value)),
        }
        Ok(())
    }

    /// Removes a property (case-insensitively), returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Bytes> {
        let i = self.position(name)?;
        Some(self.properties.remove(i).1)
    }

    /// Looks up a property, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.position(name).map(|i| &self.properties[i].1)
    }

    /// Properties in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.properties.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.properties.len()
    }

    /// Whether there are no properties.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.properties
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// Bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        self.properties
            .iter()
            .map(|(n, v)| 1 + n.len() + 4 + v.len())
            .sum()
    }

    /// Appends the wire form.
    pub fn encode(&self, dst: &mut impl BufMut) {
        for (name, value) in &self.properties {
            dst.put_u8(name.len() as u8);
            dst.put_slice(name.as_bytes());
            // Values longer than u32::MAX cannot be framed; `insert` callers are local code and
            // commands are bounded far below that by the frame limits.
            dst.put_u32(value.len() as u32);
            dst.put_slice(value);
        }
    }

    /// Parses a whole property list. Values share `src`'s memory.
    pub fn decode(mut src: Bytes) -> Result<Metadata, Malformed> {
        let mut metadata = Metadata::new();
        while src.has_remaining() {
            let name_len = usize::from(src.get_u8());
            if src.len() < name_len {
                return Err(Malformed::BadMetadata);
            }
            let name = src.split_to(name_len);
            if !is_valid_name(&name) {
                return Err(Malformed::BadMetadata);
            }
            if src.len() < 4 {
                return Err(Malformed::BadMetadata);
            }
            let value_len = src.get_u32() as usize;
            if src.len() < value_len {
                return Err(Malformed::BadMetadata);
            }
            let value = src.split_to(value_len);
            // Valid names are ASCII, so this cannot fail.
            let name = String::from_utf8(name.to_vec()).map_err(|_| Malformed::BadMetadata)?;
            if metadata.position(&name).is_some() {
                return Err(Malformed::DuplicateProperty(name));
            }
            metadata.properties.push((name, value));
        }
        Ok(metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wire_form_is_exact() {
        let mut m = Metadata::new();
        m.insert(SOCKET_TYPE, "REQ").unwrap();
        m.insert(IDENTITY, "").unwrap();
        let mut buf = Vec::new();
        m.encode(&mut buf);
        assert_eq!(
            buf,
            b"\x0bSocket-Type\x00\x00\x00\x03REQ\x08Identity\x00\x00\x00\x00".to_vec()
        );
        assert_eq!(buf.len(), m.encoded_len());
    }

    #[test]
    fn names_are_case_insensitive_on_lookup_and_replace() {
        let mut m = Metadata::new();
        m.insert("X-Foo", "1").unwrap();
        m.insert("x-foo", "2").unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m.get("X-FOO").map(|v| &v[..]), Some(&b"2"[..]));
        assert_eq!(m.remove("X-fOO").as_deref(), Some(&b"2"[..]));
        assert!(m.is_empty());
    }

    #[test]
    fn invalid_names_are_refused() {
        let mut m = Metadata::new();
        assert!(m.insert("", "v").is_err());
        assert!(m.insert("has space", "v").is_err());
        assert!(m.insert("x".repeat(256), "v").is_err());
        assert!(m.insert("x".repeat(255), "v").is_ok());
    }

    #[test]
    fn truncated_and_duplicated_lists_are_malformed() {
        let good = b"\x0bSocket-Type\x00\x00\x00\x03REQ";
        for cut in 1..good.len() {
            let r = Metadata::decode(Bytes::copy_from_slice(&good[..cut]));
            assert_eq!(r, Err(Malformed::BadMetadata), "cut at {cut}");
        }
        let mut dup = good.to_vec();
        dup.extend_from_slice(b"\x0bsocket-type\x00\x00\x00\x03REP");
        assert_eq!(
            Metadata::decode(Bytes::from(dup)),
            Err(Malformed::DuplicateProperty("socket-type".into()))
        );
        assert_eq!(
            Metadata::decode(Bytes::from_static(b"\x00\x00\x00\x00\x00")),
            Err(Malformed::BadMetadata)
        );
    }

    proptest! {
        #[test]
        fn metadata_round_trips(props in prop::collection::btree_map(
            "[A-Za-z0-9._+-]{1,20}", prop::collection::vec(any::<u8>(), 0..40), 0..6)
        ) {
            let mut m = Metadata::new();
            for (n, v) in &props {
                m.insert(n.clone(), v.clone()).unwrap();
            }
            let mut buf = Vec::new();
            m.encode(&mut buf);
            prop_assert_eq!(Metadata::decode(Bytes::from(buf)).unwrap(), m);
        }
    }
}
