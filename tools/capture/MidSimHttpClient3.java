/*
 * MidSimHttpClient3: MidSim's connection made through Apache commons-httpclient 3.1, the HTTP stack of the
 * MID Server, with a custom SecureProtocolSocketFactory (client=httpclient3 in MidSim's properties).
 *
 * The socket factory layers TLS from MidSim's SSLContext over a TCP socket to 127.0.0.1 with
 * createSocket(plain, instanceHost, port, true), so SNI and the host-name check use the instance name
 * without DNS, and sets endpoint identification "HTTPS" and the TLS version. The handshake starts when
 * HttpClient writes the request. Retries are off (DefaultHttpMethodRetryHandler(0, false)) so that the
 * server sees exactly one connection per request.
 *
 * Compiled with MidSim.java against commons-httpclient 3.1, commons-logging and commons-codec (Debian
 * libcommons-httpclient-java); MidSim only touches this class when client=httpclient3.
 */

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import org.apache.commons.httpclient.DefaultHttpMethodRetryHandler;
import org.apache.commons.httpclient.HttpClient;
import org.apache.commons.httpclient.methods.GetMethod;
import org.apache.commons.httpclient.params.HttpConnectionParams;
import org.apache.commons.httpclient.params.HttpMethodParams;
import org.apache.commons.httpclient.protocol.Protocol;
import org.apache.commons.httpclient.protocol.SecureProtocolSocketFactory;

public class MidSimHttpClient3 {

    /** The MID-like socket factory: TLS from the given SSLSocketFactory, TCP to 127.0.0.1. */
    static final class MidSecureProtocolSocketFactory implements SecureProtocolSocketFactory {
        private final SSLSocketFactory tls;
        private final String protocol;
        volatile SSLSession session;

        MidSecureProtocolSocketFactory(SSLSocketFactory tls, String protocol) {
            this.tls = tls;
            this.protocol = protocol;
        }

        private Socket plain(int port, int timeout) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), timeout > 0 ? timeout : 10000);
            s.setSoTimeout(20000);
            return s;
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return createSocket(plain(port, 0), host, port, true);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localAddress, int localPort) throws IOException {
            return createSocket(host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localAddress, int localPort,
                HttpConnectionParams params) throws IOException {
            return createSocket(plain(port, params.getConnectionTimeout()), host, port, true);
        }

        @Override
        public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
            SSLSocket s = (SSLSocket) tls.createSocket(socket, host, port, autoClose);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setProtocols(new String[] {protocol});
            s.setSSLParameters(p);
            s.addHandshakeCompletedListener(ev -> session = ev.getSession());
            return s;
        }
    }

    /** One GET through HttpClient 3.1. Returns true when the instance saw a client certificate. */
    static boolean connect(SSLSocketFactory f, int port, String label) {
        String host = MidSim.get("instance.host", "acme-lab.service-now.com");
        String proto = MidSim.get("tls.protocol", "TLSv1.2");
        String thread = Thread.currentThread().getName();
        int seq = MidSim.nextSeq();
        MidSim.agent("DEBUG: MIDSecPolicy: hostname verification for host[" + host + "] is true");
        MidSim.agent("DEBUG: MIDSecPolicy: certificate chain check for host[" + host + "] is true");
        MidSim.agent("DEBUG: MIDSecPolicy: revocation check for host[" + host + "] is "
                + MidSim.get("revocation", "false"));
        String url = "https://" + host + ":" + port + "/api/now/table/ecc_queue?sysparm_limit=1";
        MidSim.agent("Connecting to https://" + host + ":" + port + "/ (" + proto + ", " + label
                + ", commons-httpclient 3.1)");
        MidSecureProtocolSocketFactory factory = new MidSecureProtocolSocketFactory(f, proto);
        Protocol https = new Protocol("https", (SecureProtocolSocketFactory) factory, 443);
        HttpClient client = new HttpClient();
        client.getHostConfiguration().setHost(host, port, https);
        client.getHttpConnectionManager().getParams().setConnectionTimeout(10000);
        client.getHttpConnectionManager().getParams().setSoTimeout(20000);
        GetMethod get = new GetMethod(url.substring(url.indexOf("/api/")));
        get.getParams().setParameter(HttpMethodParams.RETRY_HANDLER, new DefaultHttpMethodRetryHandler(0, false));
        get.setRequestHeader("User-Agent", "ServiceNow MID Server (lab capture, commons-httpclient 3.1)");
        String negotiated = "";
        String cipher = "";
        String sentCert = "";
        String status = "";
        try {
            int code = client.executeMethod(get);
            byte[] body = get.getResponseBody();
            SSLSession sess = factory.session;
            if (sess != null) {
                negotiated = sess.getProtocol();
                cipher = sess.getCipherSuite();
                Certificate[] local = sess.getLocalCertificates();
                if (local != null && local.length > 0) {
                    sentCert = ((X509Certificate) local[0]).getSubjectX500Principal().toString();
                }
            }
            status = get.getStatusLine() == null ? String.valueOf(code) : get.getStatusLine().toString();
            String reply = body == null ? "" : new String(body, "ISO-8859-1");
            boolean authenticated = !reply.contains("no client certificate available");
            MidSim.agent("DEBUG: handshake done: " + negotiated + " " + cipher + ", client certificate sent: "
                    + (sentCert.isEmpty() ? "none" : sentCert));
            MidSim.agent("DEBUG: GET /api/now/table/ecc_queue -> " + status + " ("
                    + (body == null ? 0 : body.length) + " bytes)"
                    + (authenticated ? "" : ", instance saw no client certificate"));
            MidSim.result("CONN", String.valueOf(seq), thread, String.valueOf(port), label, "OK", negotiated, cipher,
                    sentCert, status, authenticated ? "true" : "false", "", "");
            return authenticated;
        } catch (Throwable t) {
            MidSim.agentException("SEVERE *** ERROR *** Request not sent to uri= " + url + " : ", t);
            MidSim.result("CONN", String.valueOf(seq), thread, String.valueOf(port), label, "FAIL", negotiated,
                    cipher, sentCert, status, "false", t.getClass().getName(), String.valueOf(t.getMessage()));
            return false;
        } finally {
            get.releaseConnection();
        }
    }
}
