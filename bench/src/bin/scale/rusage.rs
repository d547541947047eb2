//! What a process measures about itself: CPU time and peak RSS from getrusage(RUSAGE_SELF)
//! (all threads, so libzmq's I/O thread counts), current RSS from /proc/self/statm.

use std::time::Duration;

/// One getrusage(RUSAGE_SELF) reading.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub user: Duration,
    pub sys: Duration,
    /// Peak resident set size so far, KiB (ru_maxrss).
    pub max_rss_kib: u64,
}

impl Usage {
    pub fn now() -> Usage {
        // SAFETY: getrusage only writes the struct we hand it.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        assert_eq!(rc, 0, "getrusage failed");
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        Usage {
            user: tv(ru.ru_utime),
            sys: tv(ru.ru_stime),
            max_rss_kib: ru.ru_maxrss as u64,
        }
    }

    /// User + system CPU time since `earlier`, µs.
    pub fn cpu_us_since(&self, earlier: &Usage) -> f64 {
        let cpu = (self.user + self.sys).saturating_sub(earlier.user + earlier.sys);
        cpu.as_secs_f64() * 1e6
    }

    /// `key=value` pairs for a RESULT line: CPU since `earlier` (total, user, sys, µs) and
    /// peak RSS (KiB).
    pub fn fields_since(&self, earlier: &Usage) -> String {
        format!(
            "cpu_us={:.0} user_us={:.0} sys_us={:.0} maxrss_kib={}",
            self.cpu_us_since(earlier),
            self.user.saturating_sub(earlier.user).as_secs_f64() * 1e6,
            self.sys.saturating_sub(earlier.sys).as_secs_f64() * 1e6,
            self.max_rss_kib
        )
    }
}

/// Current resident set size in bytes: /proc/self/statm's second field (pages).
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
    pages * page
}
