//! What a socket reports through the `metrics` facade and `tracing`, captured in memory so
//! that a test can read it: a [`MemoryRecorder`] for counters and histograms, a
//! [`SpanRecorder`] for spans and their fields. Both are installed for the current thread
//! only, so a test runs its body on a current-thread runtime inside [`MemoryRecorder::run`]
//! or [`SpanRecorder::run`].

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};

/// A current-thread runtime with tokio's clock paused, to run a test's body on inside a
/// recorder's `run` (both recorders are the thread's own).
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime")
}

/// Runs `body` on a [`paused_runtime`], counting into a new recorder, and returns it.
pub fn counted<F: std::future::Future<Output = ()>>(body: impl FnOnce() -> F) -> MemoryRecorder {
    let recorder = MemoryRecorder::default();
    recorder.run(|| paused_runtime().block_on(body()));
    recorder
}

/// A PUSH connects to a PULL bound at `endpoint` and sends it one message: a connection on
/// each side, for the tests of what connections report.
pub async fn one_message(endpoint: String) {
    let mut pull = zmtp_tokio::PullSocket::new();
    pull.bind(endpoint.as_str()).await.unwrap();
    let mut push = zmtp_tokio::PushSocket::new();
    push.connect(endpoint.as_str()).unwrap();
    push.send(zmtp_tokio::Message::from("hello")).await.unwrap();
    pull.recv().await.unwrap();
}

/// Every counter and histogram recorded, by name and labels.
#[derive(Debug, Clone, Default)]
pub struct MemoryRecorder {
    counters: Arc<Mutex<BTreeMap<String, Arc<AtomicCounter>>>>,
    histograms: Arc<Mutex<BTreeMap<String, Arc<Samples>>>>,
}

impl MemoryRecorder {
    /// Runs `body` with this recorder as the thread's.
    pub fn run<T>(&self, body: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self, body)
    }

    /// The counter's value (0 if never incremented); `labels` in any order.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let key = key_text(
            name,
            labels.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let counters = self.counters.lock().unwrap();
        counters
            .get(&key)
            .map_or(0, |c| c.0.load(Ordering::Relaxed))
    }

    /// The values recorded in the histogram, in order.
    pub fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        let key = key_text(
            name,
            labels.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let histograms = self.histograms.lock().unwrap();
        histograms
            .get(&key)
            .map_or_else(Vec::new, |h| h.0.lock().unwrap().clone())
    }

    /// Every counter as `name{label=value,...} = n`, for a failing test's message.
    pub fn counters(&self) -> Vec<String> {
        let counters = self.counters.lock().unwrap();
        counters
            .iter()
            .map(|(key, c)| format!("{key} = {}", c.0.load(Ordering::Relaxed)))
            .collect()
    }
}

impl Recorder for MemoryRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut counters = self.counters.lock().unwrap();
        let counter = counters.entry(key_of(key)).or_default();
        Counter::from_arc(Arc::clone(counter))
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut histograms = self.histograms.lock().unwrap();
        let histogram = histograms.entry(key_of(key)).or_default();
        Histogram::from_arc(Arc::clone(histogram))
    }
}

#[derive(Debug, Default)]
struct AtomicCounter(AtomicU64);

impl CounterFn for AtomicCounter {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.fetch_max(value, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
struct Samples(Mutex<Vec<f64>>);

impl HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

fn key_of(key: &Key) -> String {
    key_text(
        key.name(),
        key.labels()
            .map(|l| (l.key().to_string(), l.value().to_string())),
    )
}

/// `name{a=1,b=2}`, labels sorted, so that the order they were given in does not matter.
fn key_text(name: &str, labels: impl Iterator<Item = (String, String)>) -> String {
    let mut labels: Vec<_> = labels.map(|(k, v)| format!("{k}={v}")).collect();
    labels.sort();
    format!("{name}{{{}}}", labels.join(","))
}

/// One span as recorded: its name and every field given a value, at creation or later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSpan {
    /// The span's name.
    pub name: String,
    /// Field name to value, as `Debug` or `Display` wrote it (strings without quotes).
    pub fields: BTreeMap<String, String>,
}

impl RecordedSpan {
    /// The field's value, if it was given one.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A `tracing` subscriber that keeps every span it is told of (events are ignored).
#[derive(Debug, Clone, Default)]
pub struct SpanRecorder {
    spans: Arc<Mutex<Vec<RecordedSpan>>>,
}

impl SpanRecorder {
    /// Runs `body` with this subscriber as the thread's.
    pub fn run<T>(&self, body: impl FnOnce() -> T) -> T {
        tracing::subscriber::with_default(self.clone(), || {
            // Call sites first reached before this subscriber existed were cached as unwanted.
            tracing::callsite::rebuild_interest_cache();
            body()
        })
    }

    /// Every span named `name`, in the order they were created.
    pub fn spans(&self, name: &str) -> Vec<RecordedSpan> {
        let spans = self.spans.lock().unwrap();
        spans.iter().filter(|s| s.name == name).cloned().collect()
    }
}

impl Subscriber for SpanRecorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let mut span = RecordedSpan {
            name: attributes.metadata().name().to_string(),
            fields: BTreeMap::new(),
        };
        attributes.record(&mut FieldWriter(&mut span.fields));
        let mut spans = self.spans.lock().unwrap();
        spans.push(span);
        Id::from_u64(spans.len() as u64)
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some(span) = spans.get_mut(id.into_u64() as usize - 1) {
            values.record(&mut FieldWriter(&mut span.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

struct FieldWriter<'a>(&'a mut BTreeMap<String, String>);

impl Visit for FieldWriter<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}
