//! Plain TCP moving the same bytes: each message is a 4-byte little-endian length and the
//! body, on blocking sockets (TCP_NODELAY on), with as few copies and system calls as a
//! careful implementation gets: small messages are batched into 256 KiB writes, large ones
//! written with `writev` from the body; the receiver reads into a 256 KiB buffer and parses
//! in place. The floor any ZMTP implementation pays on top of. A sender shuts down its write
//! side and waits for the receiver to close, so it exits only once everything was delivered.

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use zmtp_bench::{Args, Mode};

/// Writes are batched up to this many bytes.
const BATCH: usize = 256 * 1024;
/// Bodies at least this large are written from the body (writev), not copied into the batch.
const LARGE: usize = 16 * 1024;
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

/// Reads one message into `body`; `None` at end of stream.
fn read_message(r: &mut impl Read, body: &mut Vec<u8>) -> Option<usize> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return None,
        Err(e) => panic!("read: {e}"),
    }
    let len = u32::from_le_bytes(len) as usize;
    body.resize(len, 0);
    r.read_exact(body).unwrap();
    Some(len)
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

/// Batches small messages, writes large ones with `writev`.
struct Writer<'a> {
    stream: &'a TcpStream,
    batch: Vec<u8>,
}

impl<'a> Writer<'a> {
    fn new(stream: &'a TcpStream) -> Self {
        Writer {
            stream,
            batch: Vec::with_capacity(BATCH),
        }
    }

    fn send(&mut self, body: &[u8]) {
        let header = (body.len() as u32).to_le_bytes();
        if body.len() >= LARGE {
            self.flush();
            write_all_vectored(self.stream, &header, body);
        } else {
            self.batch.extend_from_slice(&header);
            self.batch.extend_from_slice(body);
            if self.batch.len() >= BATCH {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        (&*self.stream).write_all(&self.batch).unwrap();
        self.batch.clear();
    }
}

fn write_all_vectored(mut stream: &TcpStream, header: &[u8], body: &[u8]) {
    let mut done = 0;
    let total = header.len() + body.len();
    while done < total {
        let n = if done < header.len() {
            stream.write_vectored(&[IoSlice::new(&header[done..]), IoSlice::new(body)])
        } else {
            stream.write(&body[done - header.len()..])
        };
        match n {
            Ok(0) => panic!("write: connection closed"),
            Ok(n) => done += n,
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
}

impl<'a> Reader<'a> {
    fn new(stream: &'a TcpStream) -> Self {
        Reader {
            stream,
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
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
                if 4 + len > self.buf.len() {
                    self.buf.resize(4 + len, 0);
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
    let mut stream = accept(&listen(a));
    let mut body = Vec::new();
    let mut reply = Vec::new();
    for _ in 0..a.count {
        let len = read_message(&mut stream, &mut body).unwrap();
        assert_eq!(len, a.size);
        reply.clear();
        reply.extend_from_slice(&(len as u32).to_le_bytes());
        reply.extend_from_slice(&body);
        stream.write_all(&reply).unwrap();
    }
    finish(&stream);
}

fn remote_lat(a: &Args) {
    let mut stream = connect(a);
    let message = frame(a.size);
    let mut body = Vec::new();
    let mut times = Vec::with_capacity(a.count as usize);
    for _ in 0..a.count {
        let start = Instant::now();
        stream.write_all(&message).unwrap();
        let len = read_message(&mut stream, &mut body).unwrap();
        times.push(start.elapsed());
        assert_eq!(len, a.size);
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
