//! Facts about the machine and the day that every report header carries, and where a report
//! goes: shared by the suite's runner and the scaling benchmark.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// `dir/<base>`, or `dir/<base>-2`, `-3`... so that an earlier run of the same day is never
/// overwritten (judged by the `.md`).
pub fn unique_stem(dir: &Path, base: &str) -> PathBuf {
    let mut stem = dir.join(base);
    let mut n = 2;
    while stem.with_extension("md").exists() {
        stem = dir.join(format!("{base}-{n}"));
        n += 1;
    }
    stem
}

/// Today's UTC date as YYYY-MM-DD (Howard Hinnant's civil-from-days).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The 1-minute load average, to tell whether something else was using the machine.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

/// What `program args` prints, trimmed; empty when it cannot run.
pub fn cmd_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The CPU's model name from /proc/cpuinfo.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default()
}
