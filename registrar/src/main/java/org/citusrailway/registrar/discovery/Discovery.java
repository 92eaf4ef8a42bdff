package org.citusrailway.registrar.discovery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.citusrailway.registrar.name.Resolution;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.hosts.HostsFileParser;
import org.xbill.DNS.lookup.LookupResult;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;
import org.xbill.DNS.lookup.ServerFailedException;

/**
 * Looks up the A and AAAA records of every name at once and waits at most DNS_TIMEOUT for all of them. The queries are
 * asynchronous (dnsjava: one selector thread, no thread per lookup), so a hung or lost query holds up nothing else.
 * A query still unanswered is sent again every DNS_TIMEOUT / {@value #ATTEMPTS}, the earlier one left open so
 * whichever answer comes first counts: a dropped or stalled query costs one retry interval, not the pass. A name with
 * no answer after the last try is timed out for this pass; a name that did resolve before keeps its last addresses
 * then (marked stale), so one slow lookup cannot make a worker look gone.
 */
public final class Discovery {
    public static final int ATTEMPTS = 4;

    private final Duration timeout;
    private final DnsSetup setup;
    /** "." + PRIVATE_DOMAIN: a name under it is complete, so the search list is not tried after it (libc would). */
    private final String completeSuffix;
    private final LookupSession dns;
    private HostsFileParser hosts;
    /** The hosts file as last read: libc reads it anew when it changes. */
    private HostsVersion hostsVersion;
    /**
     * What {@link #local} answered for each name (empty: ask DNS), for the hosts file as last read. Parsing a name
     * and looking it up in the file cost more than the rest of a pass, and the answer changes only with the file.
     * Loop thread only; holds this pass's names.
     */
    private final Map<String, Optional<Resolution>> localAnswers = new HashMap<>();
    /** Last fresh addresses of each name. Loop thread only. */
    private final Map<String, List<InetAddress>> lastKnown = new HashMap<>();
    private final AtomicLong queriesSent = new AtomicLong();
    /** This pass's queries sent over the exchange, by message ID. Loop thread only. */
    private final InFlight inFlight = new InFlight();

    public Discovery(Duration timeout, String privateDomain) {
        this(timeout, privateDomain, DnsSetup.system());
    }

    public Discovery(Duration timeout, String privateDomain, DnsSetup setup) {
        this.timeout = timeout;
        this.setup = setup;
        this.completeSuffix = "." + privateDomain;
        this.dns = setup.hostsOnly() ? null : LookupSession.builder()
                .resolver(resolver(setup.servers(), timeout))
                .searchPath(setup.searchPath())
                .ndots(setup.ndots())
                .clearCaches() // every pass must see the names as they are now
                .build();
    }

    /**
     * Our own retries replace the resolver's: each server is asked once per try, and a try the resolver has not given
     * up on by DNS_TIMEOUT is abandoned (its socket closed) by dnsjava soon after.
     */
    private static Resolver resolver(List<InetSocketAddress> servers, Duration timeout) {
        List<Resolver> each = new ArrayList<>(servers.size());
        for (InetSocketAddress server : servers) {
            SimpleResolver simple = new SimpleResolver(server);
            simple.setTimeout(timeout);
            each.add(simple);
        }
        ExtendedResolver resolver = new ExtendedResolver(each);
        resolver.setRetries(1);
        resolver.setTimeout(timeout);
        return resolver;
    }

    DnsSetup setup() {
        return setup;
    }

    /** DNS queries sent so far, first tries and retries. */
    public long queriesSent() {
        return queriesSent.get();
    }

    public Map<String, Resolution> resolve(Collection<String> names) throws InterruptedException {
        long start = System.nanoTime();
        Map<String, Resolution> results = new HashMap<>(names.size() * 2);
        refreshHosts();
        Set<String> distinct = new LinkedHashSet<>(names);
        if (localAnswers.size() > distinct.size()) {
            localAnswers.keySet().retainAll(distinct);
        }
        List<NameLookup> lookups = new ArrayList<>();
        for (String name : distinct) {
            Optional<Resolution> local = localAnswer(name);
            if (local.isPresent()) {
                results.put(name, local.get());
            } else if (dns == null) {
                results.put(name, Resolution.failed(name, Resolution.NOT_FOUND));
            } else {
                lookups.add(new NameLookup(name));
            }
        }
        List<Query> unsettled = new ArrayList<>(lookups.size() * 2);
        for (NameLookup lookup : lookups) {
            unsettled.add(lookup.a);
            unsettled.add(lookup.aaaa);
        }
        long step = timeout.toNanos() / ATTEMPTS;
        inFlight.clear();
        try (DnsExchange exchange = openExchange(unsettled)) {
            for (int attempt = 1; attempt <= ATTEMPTS && !unsettled.isEmpty(); attempt++) {
                for (Query query : unsettled) {
                    query.send(exchange, attempt);
                }
                long tryEnds = attempt == ATTEMPTS ? start + timeout.toNanos() : start + attempt * step;
                awaitAll(exchange, unsettled, tryEnds);
                unsettled.removeIf(query -> query.answer.isDone());
            }
        }
        for (NameLookup lookup : lookups) {
            results.put(lookup.name, remembered(lookup.result()));
        }
        return results;
    }

    /** Stale addresses for a name whose lookup failed this pass; forgets those of a name that is gone. */
    private Resolution remembered(Resolution resolution) {
        String name = resolution.name();
        if (resolution.problem() == null) {
            lastKnown.put(name, resolution.addresses());
            return resolution;
        }
        if (Resolution.NOT_FOUND.equals(resolution.problem())) {
            lastKnown.remove(name);
            return resolution;
        }
        List<InetAddress> last = lastKnown.get(name);
        return last == null ? resolution : new Resolution(name, last, resolution.problem());
    }

    /** One socket per nameserver for this pass's complete names; none when no name needs one. */
    private DnsExchange openExchange(List<Query> queries) {
        if (setup.servers().isEmpty() || queries.stream().noneMatch(query -> query.direct)) {
            return null;
        }
        try {
            return new DnsExchange(setup.servers());
        } catch (IOException e) {
            for (Query query : queries) {
                query.direct = false; // dnsjava's own transport then; it reports what is wrong per query
            }
            return null;
        }
    }

    private void awaitAll(DnsExchange exchange, List<Query> queries, long until) throws InterruptedException {
        if (exchange != null) {
            try {
                exchange.receive(until, inFlight, () -> queries.stream().allMatch(query -> !query.direct
                        || query.answer.isDone()));
            } catch (IOException e) {
                // what is still open is sent again, or times out
            }
        }
        CompletableFuture<?>[] answers = new CompletableFuture<?>[queries.size()];
        for (int i = 0; i < answers.length; i++) {
            answers[i] = queries.get(i).answer;
        }
        try {
            CompletableFuture.allOf(answers).get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // what is still open is sent again, or times out
        }
    }

    /**
     * dnsjava checks the hosts file for changes only every 5 minutes, and by a modification time coarser than its own
     * clock; a file rewritten since the last pass (new inode, size or time) is read again instead.
     */
    private void refreshHosts() {
        HostsVersion version;
        try {
            BasicFileAttributes attributes = Files.readAttributes(setup.hostsFile(), BasicFileAttributes.class);
            version = new HostsVersion(attributes.fileKey(), attributes.size(), attributes.lastModifiedTime());
        } catch (IOException e) {
            version = HostsVersion.MISSING;
        }
        if (hosts == null || !version.equals(hostsVersion)) {
            hosts = new HostsFileParser(setup.hostsFile());
            hostsVersion = version;
            localAnswers.clear();
        }
    }

    private Optional<Resolution> localAnswer(String name) {
        Optional<Resolution> answer = localAnswers.get(name);
        if (answer == null) {
            try {
                answer = Optional.ofNullable(local(name));
                localAnswers.put(name, answer);
            } catch (IOException e) {
                answer = Optional.empty(); // an unreadable hosts file: libc goes on to DNS too; read again next pass
            }
        }
        return answer;
    }

    /** An address literal, or a name the hosts file lists (null: neither): answered without DNS, as libc does. */
    private Resolution local(String name) throws IOException {
        for (int family : new int[] {Address.IPv4, Address.IPv6}) {
            byte[] literal = Address.toByteArray(name, family);
            if (literal != null) {
                try {
                    return Resolution.found(name, List.of(InetAddress.getByAddress(literal)));
                } catch (UnknownHostException e) {
                    return Resolution.failed(name, Resolution.NOT_FOUND);
                }
            }
        }
        try {
            Name absolute = Name.fromString(name, Name.root);
            List<InetAddress> listed = new ArrayList<>(2);
            hosts.getAddressForHost(absolute, Type.A).ifPresent(listed::add);
            hosts.getAddressForHost(absolute, Type.AAAA).ifPresent(listed::add);
            return listed.isEmpty() ? null : Resolution.found(name, List.copyOf(listed));
        } catch (TextParseException e) {
            return Resolution.failed(name, Resolution.NOT_FOUND);
        }
    }

    /** What tells one hosts file from the next: its inode (file key), size and modification time. */
    private record HostsVersion(Object fileKey, long size, FileTime modified) {
        static final HostsVersion MISSING = new HostsVersion(null, -1, null);
    }

    /** Both record types of one name. */
    private final class NameLookup {
        final String name;
        final Query a;
        final Query aaaa;

        NameLookup(String name) {
            this.name = name;
            Name relative = parse(name);
            this.a = new Query(relative, Type.A);
            this.aaaa = new Query(relative, Type.AAAA);
            a.sibling = aaaa;
            aaaa.sibling = a;
        }

        Resolution result() {
            List<InetAddress> addresses = new ArrayList<>(2);
            addresses.addAll(a.answer.getNow(List.of()));
            addresses.addAll(aaaa.answer.getNow(List.of()));
            if (!addresses.isEmpty()) {
                return Resolution.found(name, List.copyOf(addresses));
            }
            if (a.answer.isDone() && aaaa.answer.isDone()) {
                return Resolution.failed(name, Resolution.NOT_FOUND);
            }
            return Resolution.failed(name, a.failed || aaaa.failed ? Resolution.FAILED : Resolution.TIMEOUT);
        }

        private Name parse(String name) {
            try {
                if (name.endsWith(completeSuffix)) {
                    return Name.fromString(name, Name.root); // one query per type instead of one per search domain too
                }
                return Name.fromString(name); // relative: the search list and ndots apply, as for libc
            } catch (TextParseException e) {
                throw new IllegalArgumentException("not a DNS name: " + name, e);
            }
        }
    }

    /** Routes the exchange's answers to this pass's queries. */
    private static final class InFlight extends HashMap<Integer, Query> implements DnsExchange.Answers {
        @Override
        public void answered(int id, Message response) {
            Query query = get(id);
            if (query != null) {
                query.settle(response);
            }
        }

        @Override
        public void unreachable(int id) {
            Query query = get(id);
            if (query != null) {
                query.failed = true;
            }
        }
    }

    /** One record type of one name; its answer is the addresses, empty when the name or the type does not exist. */
    private final class Query {
        final Name name;
        final int type;
        final CompletableFuture<List<InetAddress>> answer = new CompletableFuture<>();
        Query sibling;
        /** Sent over this pass's exchange (a complete name); otherwise through dnsjava's lookup session. */
        boolean direct;
        int id = -1;
        /** The server answered with a failure (SERVFAIL, REFUSED, unreachable) rather than not at all. */
        volatile boolean failed;

        Query(Name name, int type) {
            this.name = name;
            this.type = type;
            this.direct = name.isAbsolute();
        }

        void send(DnsExchange exchange, int attempt) {
            queriesSent.incrementAndGet();
            if (!direct || exchange == null) {
                dns.lookupAsync(name, type).whenComplete(this::settle);
                return;
            }
            try {
                if (id < 0) {
                    id = exchange.send(Record.newRecord(name, type, DClass.IN), attempt - 1);
                    inFlight.put(id, this);
                } else {
                    exchange.resend(id, attempt - 1); // the next server, as the resolver would
                }
            } catch (IOException e) {
                failed = true;
            }
        }

        /** An answer over the exchange. */
        void settle(Message response) {
            if (answer.isDone()) {
                return;
            }
            int rcode = response.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                answer.complete(List.of());
                sibling.answer.complete(List.of()); // no such name: no record of any type either
                return;
            }
            if (rcode != Rcode.NOERROR) {
                failed = true; // asked again at the next try
                return;
            }
            List<InetAddress> addresses = addresses(response.getSection(Section.ANSWER));
            if (response.getHeader().getFlag(Flags.TC)
                    || addresses.isEmpty() && !response.getSection(Section.ANSWER).isEmpty()) {
                // truncated (dnsjava asks again over TCP), or an alias to follow: the lookup session does both
                direct = false;
                dns.lookupAsync(name, type).whenComplete(this::settle);
                return;
            }
            answer.complete(addresses);
        }

        private void settle(LookupResult result, Throwable failure) {
            if (failure == null) {
                answer.complete(addresses(result.getRecords()));
                return;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof NoSuchDomainException) {
                answer.complete(List.of());
                sibling.answer.complete(List.of()); // no such name: no record of any type either
            } else if (cause instanceof NoSuchRRSetException) {
                answer.complete(List.of());
            } else if (cause instanceof ServerFailedException || !timedOut(cause)) {
                failed = true;
            }
        }

        private static List<InetAddress> addresses(List<Record> records) {
            List<InetAddress> addresses = new ArrayList<>(records.size());
            for (Record record : records) {
                if (record instanceof ARecord a) {
                    addresses.add(a.getAddress());
                } else if (record instanceof AAAARecord aaaa) {
                    addresses.add(aaaa.getAddress());
                }
            }
            return List.copyOf(addresses);
        }

        private static boolean timedOut(Throwable cause) {
            return cause instanceof SocketTimeoutException || cause instanceof TimeoutException
                    || cause instanceof IOException && Optional.ofNullable(cause.getMessage()).orElse("")
                    .contains("Timed out");
        }
    }
}
