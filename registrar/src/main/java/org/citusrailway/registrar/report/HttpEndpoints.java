package org.citusrailway.registrar.report;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * /health, /status and /metrics on the JDK's own HTTP server, bound to the wildcard address (all IPv4 and IPv6
 * addresses: Railway's healthcheck and private network may use either). Requests are handled on the server's single
 * dispatcher thread: they are tiny and rare.
 */
public final class HttpEndpoints implements AutoCloseable {
    private final HttpServer server;

    private HttpEndpoints(HttpServer server) {
        this.server = server;
    }

    /**
     * @param running whether the loop runs (/health: 200 or 503)
     * @param status  the /status document (JSON)
     * @param metrics the /metrics text (Prometheus exposition format)
     */
    public static HttpEndpoints start(int port, BooleanSupplier running, Supplier<String> status,
            Supplier<String> metrics) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/health", exchange -> {
            boolean up = running.getAsBoolean();
            respond(exchange, up ? 200 : 503, "text/plain; charset=utf-8", () -> up ? "ok\n" : "starting\n");
        });
        server.createContext("/status", exchange -> respond(exchange, 200, "application/json", status));
        server.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics));
        server.setExecutor(null);
        server.start();
        return new HttpEndpoints(server);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int code, String type, Supplier<String> body)
            throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!path.equals(exchange.getHttpContext().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
