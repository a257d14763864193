/*
 * MidSim: a small stand-in for a ServiceNow MID Server's connection code, used by
 * tools/capture/capture.py to produce real JSSE debug output under the Tanuki wrapper.
 *
 * It uses plain javax.net.ssl with the DEFAULT KeyManagerFactory algorithm (SunX509),
 * a PKCS12 keystore and truststore, endpoint identification "HTTPS", and layers TLS over
 * a TCP socket connected to 127.0.0.1 with createSocket(plain, instanceHost, port, true)
 * so that SNI and host-name checks use the instance name without DNS.
 *
 * The MID "agent log" it writes (agent0.log.0) is an EMULATION: the message texts come from
 * the ServiceNow KB article, the events around them (handshakes, exceptions) are real.
 *
 * With ssl.context=default in its properties it uses the JVM's default SSLContext instead
 * (SSLContext.getDefault(), configured by javax.net.ssl.* system properties), for the single mode.
 * With ssl.context=default-factory it takes SSLSocketFactory.getDefault() as HttpsURLConnection does:
 * when the default SSLContext cannot be built (a wrong javax.net.ssl.keyStorePassword), that factory
 * throws a SocketException from every createSocket() and no handshake starts.
 *
 * Usage (as the application class of org.tanukisoftware.wrapper.WrapperSimpleApp):
 *   MidSim <config.properties>
 * Compiled with javac --release 11 so that one class file runs on 11, 17, 21 and 25.
 */

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

public class MidSim {

    private static Properties cfg;
    private static Writer agentLog;
    private static Writer resultFile;
    private static final Object LOCK = new Object();
    private static int connSeq = 0;
    /** The socket factory to use instead of the context's (ssl.context=default-factory). */
    private static SSLSocketFactory factoryOverride;

    static int nextSeq() {
        synchronized (LOCK) {
            return ++connSeq;
        }
    }

    static SSLSocketFactory factory(SSLContext ctx) {
        return factoryOverride != null ? factoryOverride : ctx.getSocketFactory();
    }

    // ---------------------------------------------------------------- logging helpers

    /** One line in the MID agent-log layout: "MM/dd/yy HH:mm:ss (SSS) Thread message". */
    static void agent(String msg) {
        String ts = new SimpleDateFormat("MM/dd/yy HH:mm:ss (SSS)", Locale.ENGLISH).format(new Date());
        String line = ts + " " + Thread.currentThread().getName() + " " + msg;
        synchronized (LOCK) {
            System.out.println(line);
            System.out.flush();
            try {
                agentLog.write(line + "\n");
                agentLog.flush();
            } catch (IOException e) {
                // ignore
            }
        }
    }

    /** Logs an exception like a Java application: message line + stack trace. */
    static void agentException(String prefix, Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        String trace = sw.toString();
        agent(prefix + t.toString());
        synchronized (LOCK) {
            // the stack trace goes to stderr (as printStackTrace would) and to the agent log
            System.err.print(trace);
            System.err.flush();
            try {
                agentLog.write(trace);
                agentLog.flush();
            } catch (IOException e) {
                // ignore
            }
        }
    }

    static String clean(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n");
    }

    /** Machine-readable line for the harness (tab separated, escaped). */
    static void result(String... fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                sb.append('\t');
            }
            sb.append(clean(fields[i]));
        }
        synchronized (LOCK) {
            try {
                resultFile.write(sb.toString() + "\n");
                resultFile.flush();
            } catch (IOException e) {
                // ignore
            }
        }
    }

    static String get(String key, String dflt) {
        String v = cfg.getProperty(key);
        return (v == null || v.isEmpty()) ? dflt : v;
    }

    // ---------------------------------------------------------------- SSL context building

    static KeyStore loadStore(String path, char[] pass) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, pass);
        }
        return ks;
    }

    static SSLContext buildContext(String keystorePath, boolean emptyKeystore) throws Exception {
        char[] ksPass = get("keystore.password", "changeit").toCharArray();
        char[] tsPass = get("truststore.password", "changeit").toCharArray();
        KeyStore trust = loadStore(get("truststore.path", ""), tsPass);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);

        String kmAlg = KeyManagerFactory.getDefaultAlgorithm();
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(kmAlg);
        KeyStore ks;
        if (emptyKeystore) {
            // what the app has after the policy download: a store without the mTLS key pair
            ks = KeyStore.getInstance("PKCS12");
            ks.load(null, ksPass);
            for (String a : java.util.Collections.list(trust.aliases())) {
                ks.setCertificateEntry(a, trust.getCertificate(a));
            }
            agent("DEBUG: SSLContext: key store without a private key entry, KeyManagerFactory " + kmAlg);
        } else if (keystorePath == null || keystorePath.isEmpty()) {
            ks = null;
            agent("DEBUG: SSLContext: no client key store configured");
        } else {
            ks = loadStore(keystorePath, ksPass);
            List<String> aliases = java.util.Collections.list(ks.aliases());
            agent("DEBUG: SSLContext: key store " + new File(keystorePath).getName() + " (PKCS12) aliases "
                    + aliases + ", KeyManagerFactory " + kmAlg);
        }
        kmf.init(ks, ksPass);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    /**
     * The JVM's default SSLContext, as HttpsURLConnection and most HTTP clients use it: its key and
     * trust managers come from the javax.net.ssl.* system properties (set in wrapper.conf), the key
     * manager is the default KeyManagerFactory algorithm, and without javax.net.ssl.keyStore it has
     * no key at all.
     */
    static SSLContext defaultContext() throws Exception {
        String ks = System.getProperty("javax.net.ssl.keyStore");
        String ts = System.getProperty("javax.net.ssl.trustStore");
        agent("DEBUG: SSLContext: JVM default (SSLContext.getDefault()), javax.net.ssl.keyStore "
                + (ks == null ? "not set" : new File(ks).getName() + " ("
                        + System.getProperty("javax.net.ssl.keyStoreType", "default type") + ")")
                + ", javax.net.ssl.trustStore " + (ts == null ? "not set" : new File(ts).getName())
                + ", KeyManagerFactory " + KeyManagerFactory.getDefaultAlgorithm());
        return SSLContext.getDefault();
    }

    /** SSLSocketFactory.getDefault(), the factory HttpsURLConnection takes when none is set. */
    static SSLSocketFactory defaultFactory() {
        String ks = System.getProperty("javax.net.ssl.keyStore");
        String ts = System.getProperty("javax.net.ssl.trustStore");
        agent("DEBUG: SSLContext: JVM default through SSLSocketFactory.getDefault(), javax.net.ssl.keyStore "
                + (ks == null ? "not set" : new File(ks).getName() + " ("
                        + System.getProperty("javax.net.ssl.keyStoreType", "default type") + ")")
                + ", javax.net.ssl.trustStore " + (ts == null ? "not set" : new File(ts).getName())
                + ", KeyManagerFactory " + KeyManagerFactory.getDefaultAlgorithm());
        return (SSLSocketFactory) SSLSocketFactory.getDefault();
    }

    // ---------------------------------------------------------------- one connection

    /** Connects, handshakes, sends a small GET, reads the reply. Returns true when authenticated. */
    static boolean connect(SSLSocketFactory f, int port, String label) {
        if ("httpclient3".equals(get("client", "midsim"))) {
            return MidSimHttpClient3.connect(f, port, label);
        }
        String host = get("instance.host", "acme-lab.service-now.com");
        String proto = get("tls.protocol", "TLSv1.2");
        String thread = Thread.currentThread().getName();
        int seq;
        synchronized (LOCK) {
            seq = ++connSeq;
        }
        agent("DEBUG: MIDSecPolicy: hostname verification for host[" + host + "] is true");
        agent("DEBUG: MIDSecPolicy: certificate chain check for host[" + host + "] is true");
        agent("DEBUG: MIDSecPolicy: revocation check for host[" + host + "] is "
                + get("revocation", "false"));
        agent("Connecting to https://" + host + ":" + port + "/ (" + proto + ", " + label + ")");
        String negotiated = "";
        String cipher = "";
        String sentCert = "";
        String status = "";
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress("127.0.0.1", port), 10000);
            plain.setSoTimeout(20000);
            SSLSocket s = (SSLSocket) f.createSocket(plain, host, port, true);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setProtocols(new String[] {proto});
            s.setSSLParameters(p);
            s.startHandshake();
            SSLSession sess = s.getSession();
            negotiated = sess.getProtocol();
            cipher = sess.getCipherSuite();
            Certificate[] local = sess.getLocalCertificates();
            if (local != null && local.length > 0) {
                sentCert = ((X509Certificate) local[0]).getSubjectX500Principal().toString();
            }
            agent("DEBUG: handshake done: " + negotiated + " " + cipher + ", client certificate sent: "
                    + (sentCert.isEmpty() ? "none" : sentCert));
            OutputStream out = s.getOutputStream();
            String req = "GET /api/now/table/ecc_queue?sysparm_limit=1 HTTP/1.1\r\nHost: " + host
                    + "\r\nUser-Agent: ServiceNow MID Server (lab capture)\r\nAccept: */*\r\nConnection: close\r\n\r\n";
            out.write(req.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) != -1 && body.size() < 512 * 1024) {
                body.write(buf, 0, n);
            }
            s.close();
            String reply = body.toString("ISO-8859-1");
            int eol = reply.indexOf('\n');
            status = (eol >= 0 ? reply.substring(0, eol) : reply).trim();
            // s_server -www tells whether it saw a client certificate; the real instance would
            // answer 401 for an unauthenticated MID, so treat "no certificate" as an auth failure.
            boolean authenticated = !reply.contains("no client certificate available");
            agent("DEBUG: GET /api/now/table/ecc_queue -> " + status + " (" + body.size() + " bytes)"
                    + (authenticated ? "" : ", instance saw no client certificate"));
            result("CONN", String.valueOf(seq), thread, String.valueOf(port), label, "OK", negotiated, cipher,
                    sentCert, status, authenticated ? "true" : "false", "", "");
            return authenticated;
        } catch (Throwable t) {
            agentException("SEVERE *** ERROR *** ", t);
            result("CONN", String.valueOf(seq), thread, String.valueOf(port), label, "FAIL", negotiated, cipher,
                    sentCert, status, "false", t.getClass().getName(), String.valueOf(t.getMessage()));
            try {
                plain.close();
            } catch (IOException e) {
                // ignore
            }
            return false;
        }
    }

    // ---------------------------------------------------------------- modes

    static void authWarning() {
        agent("WARNING *** WARNING *** Could not authenticate user 'null' on the ServiceNow instance");
    }

    /** Runs body in a named thread and waits for it (bounded). */
    static void runNamed(String name, Runnable body) throws InterruptedException {
        Thread t = new Thread(body, name);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(90));
    }

    static void modeSingle(final SSLContext ctx, final int port) throws InterruptedException {
        final boolean[] ok = new boolean[1];
        runNamed("ECCSender.1", () -> ok[0] = connect(factory(ctx), port, "startup test"));
        if (!ok[0]) {
            authWarning();
        } else {
            agent("MID Server authenticated to the instance with its client certificate");
        }
    }

    static void modePolicy(final SSLContext ctx, final int port) throws InterruptedException {
        final int good = Integer.parseInt(get("policy.before", "2"));
        final int bad = Integer.parseInt(get("policy.after", "2"));
        final boolean[] ok = new boolean[1];
        runNamed("ECCSender.1", () -> ok[0] = connect(factory(ctx), port, "startup test"));
        if (!ok[0]) {
            authWarning();
        }
        runNamed("ECCSender.1", () -> {
            for (int i = 1; i < good; i++) {
                connect(factory(ctx), port, "ECC poll, bootstrap SSLContext");
            }
            String host = get("instance.host", "acme-lab.service-now.com");
            agent("MIDSecPolicy: downloaded MID security policy for *.service-now.com from the instance; "
                    + "re-initializing SSLContext for host[" + host + "]");
            SSLContext rebuilt;
            try {
                rebuilt = buildContext(null, true);
            } catch (Exception e) {
                agentException("SEVERE *** ERROR *** ", e);
                return;
            }
            for (int i = 0; i < bad; i++) {
                boolean r = connect(rebuilt.getSocketFactory(), port, "ECC poll, policy SSLContext");
                if (!r) {
                    authWarning();
                }
            }
        });
    }

    static void modeConcurrent(final SSLContext ctx, String portList) throws InterruptedException {
        String[] ports = portList.split(",");
        final CyclicBarrier barrier = new CyclicBarrier(ports.length);
        final boolean[] ok = new boolean[ports.length];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
            final int idx = i;
            final int port = Integer.parseInt(ports[i].trim());
            Thread t = new Thread(() -> {
                try {
                    barrier.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // start anyway
                }
                ok[idx] = connect(factory(ctx), port, "concurrent ECC poll");
            }, "ECCSender." + (i + 1));
            threads.add(t);
        }
        for (Thread t : threads) {
            t.start();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(90));
        }
        boolean all = true;
        for (boolean b : ok) {
            all &= b;
        }
        if (!all) {
            authWarning();
        }
    }

    // ---------------------------------------------------------------- main

    public static void main(String[] args) throws Exception {
        cfg = new Properties();
        try (InputStream in = new FileInputStream(args[0])) {
            cfg.load(in);
        }
        agentLog = new OutputStreamWriter(new FileOutputStream(get("agent.log", "agent0.log.0"), true),
                StandardCharsets.UTF_8);
        resultFile = new OutputStreamWriter(new FileOutputStream(get("result.file", "client-result.tsv"), true),
                StandardCharsets.UTF_8);
        final String mode = get("mode", "single");
        final int exitCode[] = new int[] {0};
        Thread.currentThread().setName("StartupSequencer");
        agent("MIDServer starting");
        agent("MIDServer version: lab-capture (Java " + System.getProperty("java.version") + ", "
                + System.getProperty("java.vendor") + ", " + System.getProperty("java.runtime.version") + ")");
        agent("DEBUG: javax.net.debug=" + System.getProperty("javax.net.debug", "(not set)")
                + ", TZ=" + java.util.TimeZone.getDefault().getID());
        result("JVM", System.getProperty("java.version"), System.getProperty("java.runtime.version"),
                System.getProperty("java.vendor"), System.getProperty("java.home"),
                java.util.TimeZone.getDefault().getID(), mode);
        String host = get("instance.host", "acme-lab.service-now.com");
        agent("Instance URL: https://" + host + "/ (mutual authentication enabled, mid.instance.username not set)");

        String context = get("ssl.context", "own");
        SSLContext ctx = null;
        if ("default-factory".equals(context)) {
            factoryOverride = defaultFactory();
        } else {
            ctx = "default".equals(context) ? defaultContext() : buildContext(get("keystore.path", ""), false);
        }
        int port = Integer.parseInt(get("instance.port", "0"));

        if ("policy".equals(mode)) {
            modePolicy(ctx, port);
        } else if ("concurrent".equals(mode)) {
            modeConcurrent(ctx, get("instance.ports", String.valueOf(port)));
        } else {
            modeSingle(ctx, port);
        }

        if ("restart".equals(mode)) {
            File marker = new File(get("restart.marker", "restart.marker"));
            if (!marker.exists()) {
                new FileOutputStream(marker).close();
                exitCode[0] = Integer.parseInt(get("restart.exit_code", "75"));
                agent("MIDServer restart requested after the failed startup test (exit code " + exitCode[0] + ")");
            }
        }
        agent("MIDServer stopping");
        agentLog.close();
        resultFile.close();
        System.exit(exitCode[0]);
    }
}
