package org.citusrailway.testkit;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A small authoritative DNS server for tests, on UDP and TCP: A and AAAA answers from a table the test changes while
 * it runs, NODATA for a listed name without a record of the asked type, NXDOMAIN for every other name. A share of the
 * UDP queries can be dropped (never answered) and another share answered late, on purpose, from a seeded random
 * source so a run can be repeated.
 */
public final class TestDnsServer implements AutoCloseable {
    private static final long TTL = 0;

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Map<String, List<InetAddress>> table = new ConcurrentHashMap<>();
    private final ScheduledExecutorService late = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-dns-late");
        t.setDaemon(true);
        return t;
    });
    private final Random random = new Random(20251010L);
    private volatile double dropShare;
    private volatile double delayShare;
    private volatile Duration delay = Duration.ZERO;
    private final AtomicLong queries = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delayed = new AtomicLong();
    private final Set<SocketAddress> clients = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private TestDnsServer(InetSocketAddress address) throws IOException {
        udp = new DatagramSocket(address);
        tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(address.getAddress(), udp.getLocalPort()));
        Thread.ofPlatform().daemon().name("test-dns-udp").start(this::serveUdp);
        Thread.ofPlatform().daemon().name("test-dns-tcp").start(this::serveTcp);
    }

    /** A server on the address and port (port 0: any free one; port 53 needs root). */
    public static TestDnsServer start(InetSocketAddress address) throws IOException {
        return new TestDnsServer(address);
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    /** Answers the name (case-insensitive, no trailing dot) with these addresses from now on. */
    public void put(String name, InetAddress... addresses) {
        table.put(key(name), List.of(addresses));
    }

    /** NXDOMAIN for the name from now on. */
    public void remove(String name) {
        table.remove(key(name));
    }

    /** Drops this share of UDP queries and answers that share of the rest only after the delay (0 to 1 each). */
    public void misbehave(double drop, double delayedShare, Duration lateBy) {
        dropShare = drop;
        delayShare = delayedShare;
        delay = lateBy;
    }

    public long queries() {
        return queries.get();
    }

    /** How many client sockets (address and port) have sent UDP queries so far. */
    public int clientSockets() {
        return clients.size();
    }

    public long dropped() {
        return dropped.get();
    }

    public long delayed() {
        return delayed.get();
    }

    @Override
    public void close() {
        closed = true;
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        late.shutdownNow();
    }

    private static String key(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower : lower + ".";
    }

    private void serveUdp() {
        byte[] buffer = new byte[4096];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                return; // closed
            }
            queries.incrementAndGet();
            clients.add(packet.getSocketAddress());
            byte[] reply;
            try {
                reply = answer(new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()))).toWire(512);
            } catch (IOException e) {
                continue; // not a DNS message
            }
            DatagramPacket response = new DatagramPacket(reply, reply.length, packet.getSocketAddress());
            double roll;
            synchronized (random) {
                roll = random.nextDouble();
            }
            if (roll < dropShare) {
                dropped.incrementAndGet();
            } else if (roll < dropShare + delayShare) {
                delayed.incrementAndGet();
                late.schedule(() -> send(response), delay.toMillis(), TimeUnit.MILLISECONDS);
            } else {
                send(response);
            }
        }
    }

    private void send(DatagramPacket response) {
        try {
            udp.send(response);
        } catch (IOException ignored) {
            // the client is gone or the server closed
        }
    }

    private void serveTcp() {
        while (!closed) {
            Socket client;
            try {
                client = tcp.accept();
            } catch (IOException e) {
                return;
            }
            Thread.ofVirtual().start(() -> serveTcpClient(client));
        }
    }

    private void serveTcpClient(Socket client) {
        try (client; DataInputStream in = new DataInputStream(client.getInputStream());
                DataOutputStream out = new DataOutputStream(client.getOutputStream())) {
            while (true) {
                byte[] query = new byte[in.readUnsignedShort()];
                in.readFully(query);
                queries.incrementAndGet();
                byte[] reply = answer(new Message(query)).toWire();
                out.writeShort(reply.length);
                out.write(reply);
                out.flush();
            }
        } catch (SocketException | java.io.EOFException e) {
            // client done
        } catch (IOException e) {
            // malformed query: drop the connection
        }
    }

    private Message answer(Message query) {
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        Record question = query.getQuestion();
        if (question == null) {
            response.getHeader().setRcode(Rcode.FORMERR);
            return response;
        }
        response.addRecord(question, Section.QUESTION);
        Name name = question.getName();
        List<InetAddress> addresses = table.get(name.toString().toLowerCase(Locale.ROOT));
        if (addresses == null) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
            return response;
        }
        for (InetAddress address : addresses) {
            if (question.getType() == Type.A && address.getAddress().length == 4) {
                response.addRecord(new ARecord(name, DClass.IN, TTL, address), Section.ANSWER);
            } else if (question.getType() == Type.AAAA && address.getAddress().length == 16) {
                response.addRecord(new AAAARecord(name, DClass.IN, TTL, address), Section.ANSWER);
            }
        }
        return response; // no answer record: NODATA
    }
}
