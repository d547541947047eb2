// Interop driver for JeroMQ (see interop/PROTOCOL.md): one command a line on stdin, one
// verdict a line on stdout. Compiled by scripts/interop against the Debian jar; JeroMQ 0.3.6
// has neither PLAIN, CURVE nor heartbeats, and its ipc:// is TCP on loopback, so only NULL
// over tcp is driven.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.zeromq.ZMQ;

public class JeromqDriver {
    static final ZMQ.Context CTX = ZMQ.context(1);

    static class Timeout extends Exception {
        Timeout(String what) { super("timed out (20 s) in " + what); }
    }

    static ZMQ.Socket open(String kind, String mode, String endpoint, List<String> opts) throws Exception {
        ZMQ.Socket s = CTX.socket(ZMQ.class.getField(kind).getInt(null));
        s.setReceiveTimeOut(20000);
        s.setSendTimeOut(20000);
        s.setLinger(5000);
        for (String o : opts) {
            if (o.startsWith("sub=") && kind.equals("SUB")) {
                s.subscribe(o.substring(4).getBytes(StandardCharsets.UTF_8));
            } else if (!o.startsWith("sub=")) {
                throw new Exception("option not supported by JeroMQ 0.3.6: " + o);
            }
        }
        if (mode.equals("bind")) s.bind(endpoint); else s.connect(endpoint);
        return s;
    }

    static List<byte[]> recv(ZMQ.Socket s) throws Timeout {
        List<byte[]> frames = new ArrayList<>();
        do {
            byte[] frame = s.recv(0);
            if (frame == null) throw new Timeout("a receive");
            frames.add(frame);
        } while (s.hasReceiveMore());
        return frames;
    }

    static void send(ZMQ.Socket s, List<byte[]> frames) throws Timeout {
        for (int i = 0; i < frames.size(); i++) {
            if (!s.send(frames.get(i), i + 1 < frames.size() ? ZMQ.SNDMORE : 0)) throw new Timeout("a send");
        }
    }

    static boolean same(List<byte[]> a, List<byte[]> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (!Arrays.equals(a.get(i), b.get(i))) return false;
        return true;
    }

    static String run(String[] w) throws Exception {
        if (w[0].equals("client")) {
            ZMQ.Socket s = open(w[1], w[2], w[3], Arrays.asList(w).subList(5, w.length));
            int n = Integer.parseInt(w[4]);
            for (int i = 0; i < n; i++) {
                List<byte[]> msg = Arrays.asList(String.valueOf(i).getBytes(), new byte[0],
                        (i == n - 1 ? "END" : "m").getBytes());
                send(s, msg);
                if (!same(recv(s), msg)) return "fail reply " + i + " differs";
            }
            s.close();
            return "ok " + n;
        }
        ZMQ.Socket src, dst;
        if (w[0].equals("echo")) {
            src = dst = open(w[1], w[2], w[3], Arrays.asList(w).subList(4, w.length));
        } else {
            List<String> opts = Arrays.asList(w).subList(7, w.length);
            src = open(w[1], w[2], w[3], opts);
            dst = open(w[4], w[5], w[6], opts);
        }
        int count = 0;
        while (true) {
            List<byte[]> msg = recv(src);
            send(dst, msg);
            count++;
            if (Arrays.equals(msg.get(msg.size() - 1), "END".getBytes())) break;
        }
        src.close();
        if (dst != src) dst.close();
        return "ok " + count;
    }

    public static void main(String[] args) throws Exception {
        // The jar's manifest carries the version (Bundle-Version; Implementation-Version is unset).
        String jar = java.nio.file.Paths.get(ZMQ.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String version = new java.util.jar.JarFile(jar).getManifest().getMainAttributes().getValue("Bundle-Version");
        System.out.println("hello JeroMQ " + version + " (libzmq 3.2 compatible, speaks ZMTP 2.0; java " + System.getProperty("java.version") + ")");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            String verdict;
            try {
                verdict = run(line.trim().split(" "));
            } catch (Exception e) {
                verdict = "fail " + e;
            }
            System.out.println(verdict.replace('\n', ' '));
            System.out.flush();
        }
        System.exit(0);
    }
}
