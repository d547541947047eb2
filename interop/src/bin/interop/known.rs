//! The known, explained defects of the peers (`interop/known-defects.txt`): a cell that
//! fails and matches one is reported with its explanation instead of failing the run.

/// One entry of the file.
#[derive(Debug, Clone)]
pub struct Defect {
    /// Its number in the file's order, for references in the matrix.
    pub number: usize,
    /// The peer's key.
    pub peer: String,
    /// A pattern over `Cell::key` (`*` matches anything).
    pub cells: String,
    /// Who is at fault.
    pub at_fault: String,
    /// The RFC clause (or other rule) broken.
    pub clause: String,
    /// What goes wrong.
    pub what: String,
    /// What zmtp does about it.
    pub coping: String,
}

/// The file, parsed: `peer | cells | at fault | clause | what | coping`, `#` comments.
pub fn load() -> Vec<Defect> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/known-defects.txt");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(" | ").map(str::trim).collect();
            assert_eq!(f.len(), 6, "{path}: six fields separated by ` | `: {line}");
            Defect {
                number: i + 1,
                peer: f[0].into(),
                cells: f[1].into(),
                at_fault: f[2].into(),
                clause: f[3].into(),
                what: f[4].into(),
                coping: f[5].into(),
            }
        })
        .collect()
}

/// The defect explaining a failed cell of `peer`, if one does.
pub fn explain<'a>(defects: &'a [Defect], peer: &str, key: &str) -> Option<&'a Defect> {
    defects
        .iter()
        .find(|d| d.peer == peer && matches(&d.cells, key))
}

/// `*` matches any run of characters; everything else literally.
fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards() {
        assert!(matches("*", "a|b"));
        assert!(matches("PUB*|tcp|*", "PUB-SUB|zmtp binds|NULL|tcp|x"));
        assert!(!matches("PUB*|ipc|*", "PUB-SUB|zmtp binds|NULL|tcp|x"));
        assert!(matches("a|b", "a|b"));
        assert!(!matches("a|b", "a|bc"));
    }
}
