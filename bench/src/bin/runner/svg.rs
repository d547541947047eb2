//! A hand-written SVG: PUSH→PULL msgs/s and MB/s against message size, log-log, one line per
//! pair (median of the reps).

use std::fmt::Write;

use crate::cell::{Cell, Metric};
use crate::plan::Test;
use crate::stats::human;

const COLORS: [&str; 8] = [
    "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#7f7f7f", "#ff7f0e", "#17becf", "#8c564b",
];
const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 320.0;
const MARGIN: (f64, f64, f64, f64) = (70.0, 20.0, 40.0, 50.0); // left, right, top, bottom

/// The plot as an SVG document.
pub fn plot(cells: &[Cell]) -> String {
    let thr: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.test == Test::Thr && !c.curve && !c.plain)
        .collect();
    let mut pairs: Vec<&str> = Vec::new();
    for c in &thr {
        if !pairs.contains(&c.pair.label.as_str()) {
            pairs.push(&c.pair.label);
        }
    }
    let width = 2.0 * PANEL_W + 160.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{PANEL_H}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, (metric, title)) in [
        (Metric::MsgsPerSec, "PUSH→PULL msgs/s"),
        (Metric::MegabytesPerSec, "PUSH→PULL MB/s"),
    ]
    .into_iter()
    .enumerate()
    {
        panel(&mut svg, &thr, &pairs, metric, title, i as f64 * PANEL_W);
    }
    for (i, pair) in pairs.iter().enumerate() {
        let y = MARGIN.2 + 16.0 * i as f64;
        let x = 2.0 * PANEL_W + 10.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2"{}/><text x="{}" y="{}">{}</text>"#,
            x + 24.0,
            COLORS[i % COLORS.len()],
            dash(pair),
            x + 30.0,
            y + 4.0,
            escape(pair)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn dash(pair: &str) -> &'static str {
    if pair.contains('→') {
        r#" stroke-dasharray="5,3""#
    } else {
        ""
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn panel(svg: &mut String, cells: &[&Cell], pairs: &[&str], metric: Metric, title: &str, x0: f64) {
    let points: Vec<(usize, f64)> = cells
        .iter()
        .filter_map(|c| Some((c.size, c.summary(metric)?.median)))
        .filter(|&(_, v)| v > 0.0)
        .collect();
    let (left, right, top, bottom) = MARGIN;
    let (w, h) = (PANEL_W - left - right, PANEL_H - top - bottom);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="20" font-size="13" font-weight="bold">{title}</text>"#,
        x0 + left
    );
    if points.is_empty() {
        return;
    }
    let sizes: Vec<f64> = points
        .iter()
        .map(|&(s, _)| (s.max(1) as f64).log10())
        .collect();
    let values: Vec<f64> = points.iter().map(|&(_, v)| v.log10()).collect();
    let (xmin, xmax) = bounds(&sizes, false);
    let (ymin, ymax) = bounds(&values, true);
    let px = |size: usize| {
        x0 + left + ((size.max(1) as f64).log10() - xmin) / (xmax - xmin).max(1e-9) * w
    };
    let py = |v: f64| top + h - (v.log10() - ymin) / (ymax - ymin).max(1e-9) * h;
    let _ = writeln!(
        svg,
        r##"<rect x="{}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#888"/>"##,
        x0 + left
    );
    // Decade grid lines on y, message sizes on x.
    let mut decade = ymin.floor() as i32;
    while f64::from(decade) <= ymax {
        let v = 10f64.powi(decade);
        if f64::from(decade) >= ymin {
            let y = py(v);
            let _ = writeln!(
                svg,
                r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
                x0 + left,
                x0 + left + w,
                x0 + left - 4.0,
                y + 4.0,
                human(v).replace(".00", "").replace(".0", "")
            );
        }
        decade += 1;
    }
    let mut sizes_seen: Vec<usize> = cells.iter().map(|c| c.size).collect();
    sizes_seen.dedup();
    for size in sizes_seen {
        let x = px(size);
        let _ = writeln!(
            svg,
            r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{}" stroke="#ddd"/><text x="{x}" y="{}" text-anchor="middle">{size} B</text>"##,
            top + h,
            top + h + 16.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">message size (log)</text>"#,
        x0 + left + w / 2.0,
        PANEL_H - 12.0
    );
    for (i, pair) in pairs.iter().enumerate() {
        let line: Vec<String> = cells
            .iter()
            .filter(|c| c.pair.label == *pair)
            .filter_map(|c| Some((c.size, c.summary(metric)?.median)))
            .filter(|&(_, v)| v > 0.0)
            .map(|(s, v)| format!("{:.1},{:.1}", px(s), py(v)))
            .collect();
        let color = COLORS[i % COLORS.len()];
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{}/>"#,
            line.join(" "),
            dash(pair)
        );
        for p in &line {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(svg, r#"<circle cx="{x}" cy="{y}" r="3" fill="{color}"/>"#);
        }
    }
}

/// Min and max of logs; for y, widened to whole decades.
fn bounds(v: &[f64], decades: bool) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if decades {
        (min.floor(), max.ceil().max(min.floor() + 1.0))
    } else if max > min {
        let pad = (max - min) * 0.05;
        (min - pad, max + pad)
    } else {
        (min - 0.5, max + 0.5)
    }
}
