package org.citusrailway.registrar.discovery;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;

/**
 * One pass's queries over one UDP socket per nameserver, answers matched to questions by message ID and question.
 * dnsjava's own transport opens, registers and closes a socket for every query: 160 queries (the 80 default names)
 * cost 7.7 ms of CPU that way and 1.3 ms over one socket (measured with C1, as in the image), most of the registrar's
 * idle CPU. dnsjava still writes and parses every message. The sockets live for one pass, so a late answer to an
 * earlier pass never reaches a later one; IDs start at a random number each pass.
 */
final class DnsExchange implements AutoCloseable {
    /** What the pass does with an answer or a failure of one query. */
    interface Answers {
        void answered(int id, Message response);

        /** The server said nothing can be delivered to it (ICMP port unreachable). */
        void unreachable(int id);
    }

    private final Selector selector;
    private final List<DatagramChannel> channels = new ArrayList<>();
    private final Map<Integer, Sent> sent = new HashMap<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(65_535);
    private int nextId = ThreadLocalRandom.current().nextInt(65_536);

    private record Sent(Record question, int server) {
    }

    DnsExchange(List<InetSocketAddress> servers) throws IOException {
        selector = Selector.open();
        try {
            for (InetSocketAddress server : servers) {
                DatagramChannel channel = DatagramChannel.open();
                channels.add(channel);
                channel.configureBlocking(false);
                channel.connect(server); // only this server's datagrams arrive, and a closed port is reported
                channel.register(selector, SelectionKey.OP_READ, channels.size() - 1);
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** Sends a new question; the ID it returns names it in answers and in {@link #resend}. */
    int send(Record question, int server) throws IOException {
        int id = nextId;
        nextId = (nextId + 1) & 0xFFFF;
        write(id, question, server);
        return id;
    }

    /** Asks again under the same ID, so an answer to either try counts. */
    void resend(int id, int server) throws IOException {
        write(id, sent.get(id).question(), server);
    }

    private void write(int id, Record question, int server) throws IOException {
        int index = Math.floorMod(server, channels.size());
        Message query = Message.newQuery(question);
        query.getHeader().setID(id);
        sent.put(id, new Sent(question, index));
        try {
            channels.get(index).write(ByteBuffer.wrap(query.toWire()));
        } catch (PortUnreachableException e) {
            // an earlier query's ICMP error surfaced here; the next read reports it
        }
    }

    /** Hands answers to {@code answers} until the deadline (System.nanoTime) or until {@code done} says stop. */
    void receive(long until, Answers answers, java.util.function.BooleanSupplier done) throws IOException {
        while (!done.getAsBoolean()) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return;
            }
            selector.select(Math.max(1, left / 1_000_000));
            for (SelectionKey key : selector.selectedKeys()) {
                readAll((DatagramChannel) key.channel(), (Integer) key.attachment(), answers);
            }
            selector.selectedKeys().clear();
        }
    }

    private void readAll(DatagramChannel channel, int server, Answers answers) {
        while (true) {
            buffer.clear();
            try {
                if (channel.read(buffer) <= 0) {
                    return;
                }
            } catch (IOException e) { // PortUnreachableException: nothing listens at that server
                sent.forEach((id, query) -> {
                    if (query.server() == server) {
                        answers.unreachable(id);
                    }
                });
                return;
            }
            buffer.flip();
            byte[] wire = new byte[buffer.remaining()];
            buffer.get(wire);
            Message response;
            try {
                response = new Message(wire);
            } catch (IOException | RuntimeException e) { // not a DNS message: ignored
                continue;
            }
            Sent query = sent.get(response.getHeader().getID());
            if (query != null && query.question().equals(response.getQuestion())) {
                answers.answered(response.getHeader().getID(), response);
            }
        }
    }

    @Override
    public void close() {
        for (DatagramChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing to keep
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            // nothing to keep
        }
    }
}
