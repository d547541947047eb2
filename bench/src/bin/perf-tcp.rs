//! Plain TCP moving the same bytes: each message is a 4-byte little-endian length and the
//! body, on blocking sockets (TCP_NODELAY on), with as few copies and system calls as a
//! careful implementation gets, so that it bounds every implementation from above: small
//! messages are batched into 256 KiB writes; large ones go from their bodies, several per
//! `writev` (up to 1 MiB); receivers (the latency test's echo too) read small messages into
//! a 256 KiB buffer and parse in place, one `read` for all that arrived, and read the rest of
//! a large body straight into a body buffer (no compaction copy of a partial message). A sender shuts down its write side and waits for the receiver
//! to close, so it exits only once everything was delivered.

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use zmtp_bench::{Args, Mode};

/// Writes are batched up to this many bytes.
const BATCH: usize = 256 * 1024;
/// Bodies at least this large are written from the body (writev), not copied into the batch.
const LARGE: usize = 16 * 1024;
/// Large messages are gathered into one `writev` up to this many bytes.
const GATHER: usize = 1024 * 1024;
/// The receive buffer: small enough to stay in cache (4 MiB was 1.5× slower at 1 KiB).
const READ_BUFFER: usize = 256 * 1024;

fn main() {
    let a = zmtp_bench::args();
    match a.mode {
        Mode::LocalThr => local_thr(&a),
        Mode::RemoteThr => remote_thr(&a),
        Mode::LocalLat => local_lat(&a),
        Mode::RemoteLat => remote_lat(&a),
        Mode::PubThr => pub_thr(&a),
        Mode::SubThr => sub_thr(&a),
        Mode::LocalHs | Mode::RemoteHs | Mode::InprocThr | Mode::InprocLat => {
            unreachable!("refused by zmtp_bench::args")
        }
    }
}

fn accept(listener: &TcpListener) -> TcpStream {
    let (stream, _) = listener.accept().unwrap();
    tune(&stream);
    stream
}

fn tune(stream: &TcpStream) {
    stream.set_nodelay(true).unwrap();
}

fn listen(a: &Args) -> TcpListener {
    TcpListener::bind(zmtp_bench::tcp_address(&a.endpoint)).unwrap()
}

fn connect(a: &Args) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(zmtp_bench::tcp_address(&a.endpoint)) {
            Ok(stream) => {
                tune(&stream);
                return stream;
            }
            Err(e) if Instant::now() > deadline => panic!("connect: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// A message on the wire: length prefix and body.
fn frame(size: usize) -> Vec<u8> {
    let mut frame = (size as u32).to_le_bytes().to_vec();
    frame.resize(4 + size, 0);
    frame
}

/// Closes our write side and waits until the peer closes: everything was delivered.
fn finish(stream: &TcpStream) {
    stream.shutdown(Shutdown::Write).unwrap();
    let mut sink = [0u8; 64];
    while matches!((&*stream).read(&mut sink), Ok(n) if n > 0) {}
}

/// Batches small messages; gathers large ones (header and body, from the body) into one
/// `writev` of up to `BATCH` bytes.
struct Writer<'a> {
    stream: &'a TcpStream,
    batch: Vec<u8>,
    /// Large messages waiting for the `writev`: their headers, and their bodies.
    headers: Vec<[u8; 4]>,
    bodies: Vec<&'a [u8]>,
    gathered: usize,
}

impl<'a> Writer<'a> {
    fn new(stream: &'a TcpStream) -> Self {
        Writer {
            stream,
            batch: Vec::with_capacity(BATCH),
            headers: Vec::new(),
            bodies: Vec::new(),
            gathered: 0,
        }
    }

    fn send(&mut self, body: &'a [u8]) {
        let header = (body.len() as u32).to_le_bytes();
        if body.len() >= LARGE {
            if !self.batch.is_empty() {
                self.flush_batch();
            }
            self.headers.push(header);
            self.bodies.push(body);
            self.gathered += 4 + body.len();
            if self.gathered >= GATHER {
                self.flush_gathered();
            }
        } else {
            if !self.bodies.is_empty() {
                self.flush_gathered();
            }
            self.batch.extend_from_slice(&header);
            self.batch.extend_from_slice(body);
            if self.batch.len() >= BATCH {
                self.flush_batch();
            }
        }
    }

    fn flush(&mut self) {
        self.flush_gathered();
        self.flush_batch();
    }

    fn flush_batch(&mut self) {
        (&*self.stream).write_all(&self.batch).unwrap();
        self.batch.clear();
    }

    fn flush_gathered(&mut self) {
        let mut slices: Vec<IoSlice> = self
            .headers
            .iter()
            .zip(&self.bodies)
            .flat_map(|(header, body)| [IoSlice::new(header), IoSlice::new(body)])
            .collect();
        write_all_vectored(self.stream, &mut slices);
        self.headers.clear();
        self.bodies.clear();
        self.gathered = 0;
    }
}

fn write_all_vectored(mut stream: &TcpStream, mut slices: &mut [IoSlice<'_>]) {
    while !slices.is_empty() {
        match stream.write_vectored(slices) {
            Ok(0) => panic!("write: connection closed"),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("write: {e}"),
        }
    }
}

/// Reads into one large buffer and hands out message lengths, parsing in place.
struct Reader<'a> {
    stream: &'a TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Where large bodies are read.
    body: Vec<u8>,
}

impl<'a> Reader<'a> {
    fn new(stream: &'a TcpStream) -> Self {
        Reader {
            stream,
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
            body: Vec::new(),
        }
    }

    /// The next message's length (its body is skipped); `None` at end of stream.
    fn next(&mut self) -> Option<usize> {
        loop {
            let available = self.end - self.start;
            if available >= 4 {
                let len_bytes: [u8; 4] = self.buf[self.start..self.start + 4].try_into().unwrap();
                let len = u32::from_le_bytes(len_bytes) as usize;
                if available >= 4 + len {
                    self.start += 4 + len;
                    return Some(len);
                }
                if len >= LARGE {
                    // The body's start is here; its rest goes straight into the body buffer.
                    let here = available - 4;
                    self.body.resize(len, 0);
                    self.body[..here].copy_from_slice(&self.buf[self.start + 4..self.end]);
                    self.start = 0;
                    self.end = 0;
                    return self.read_body(here, len);
                }
            }
            if self.start > 0 && self.buf.len() - self.end < self.buf.len() / 4 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            match (&*self.stream).read(&mut self.buf[self.end..]) {
                Ok(0) => return None,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }
}

impl Reader<'_> {
    /// Reads the rest of a `len`-byte body of which `have` bytes were already read.
    fn read_body(&mut self, have: usize, len: usize) -> Option<usize> {
        let mut done = have;
        while done < len {
            match (&*self.stream).read(&mut self.body[done..]) {
                Ok(0) => return None,
                Ok(n) => done += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("read: {e}"),
            }
        }
        Some(len)
    }
}

fn local_thr(a: &Args) {
    let stream = accept(&listen(a));
    let mut r = Reader::new(&stream);
    assert_eq!(r.next(), Some(a.size));
    let start = Instant::now();
    for _ in 1..a.count {
        assert_eq!(r.next(), Some(a.size));
    }
    zmtp_bench::print_throughput(a.size, a.count, start.elapsed());
}

fn remote_thr(a: &Args) {
    let stream = connect(a);
    let body = vec![0u8; a.size];
    let mut w = Writer::new(&stream);
    for _ in 0..a.count {
        w.send(&body);
    }
    w.flush();
    finish(&stream);
}

fn local_lat(a: &Args) {
    let stream = accept(&listen(a));
    let mut r = Reader::new(&stream);
    // The echo has the request's size, and its bytes do not matter: one buffered read and one
    // write per round trip.
    let reply = frame(a.size);
    for _ in 0..a.count {
        assert_eq!(r.next(), Some(a.size));
        (&stream).write_all(&reply).unwrap();
    }
    finish(&stream);
}

fn remote_lat(a: &Args) {
    let stream = connect(a);
    let mut r = Reader::new(&stream);
    let message = frame(a.size);
    let mut times = Vec::with_capacity(a.count as usize);
    for _ in 0..a.count {
        let start = Instant::now();
        (&stream).write_all(&message).unwrap();
        let len = r.next();
        times.push(start.elapsed());
        assert_eq!(len, Some(a.size));
    }
    zmtp_bench::print_latency(a.size, &mut times);
}

fn pub_thr(a: &Args) {
    let listener = listen(a);
    let streams: Vec<TcpStream> = (0..a.subscribers).map(|_| accept(&listener)).collect();
    let mut writers: Vec<Writer> = streams.iter().map(Writer::new).collect();
    let body = vec![0u8; a.size];
    let start = Instant::now();
    for _ in 0..a.count {
        for w in &mut writers {
            w.send(&body);
        }
    }
    let end = vec![0u8; a.size + 1];
    for w in &mut writers {
        w.send(&end);
        w.flush();
    }
    let elapsed = start.elapsed();
    drop(writers);
    zmtp_bench::print_throughput(a.size, a.count, elapsed);
    streams.iter().for_each(finish);
}

fn sub_thr(a: &Args) {
    let stream = connect(a);
    let mut r = Reader::new(&stream);
    assert_eq!(r.next(), Some(a.size));
    let start = Instant::now();
    let mut received = 1;
    while received < a.count {
        match r.next() {
            Some(len) if len == a.size => received += 1,
            _ => break,
        }
    }
    zmtp_bench::print_throughput(a.size, received, start.elapsed());
}
